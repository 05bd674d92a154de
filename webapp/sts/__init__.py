"""The local STS: AssumeRoleWithWebIdentity over the Query protocol (see ``webapp.sts.app``)."""
