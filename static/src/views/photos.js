/**
 * "My photos": the add form, the Find card (filters and tag cloud), the list and the edit
 * dialog, each its own module under views/photos/; this one only wires them together.
 */

import { byTestId } from "./dom.js";
import { createAddForm } from "./photos/add.js";
import { createEditor } from "./photos/editor.js";
import { createFinder } from "./photos/finder.js";
import { createPhotoList } from "./photos/list.js";

export function createPhotosView({ root, photos, store }) {
  const list = createPhotoList({ photos, store, onEdit: (item) => editor.open(item) });
  const finder = createFinder({ photos, onFilter: (filter) => list.show(filter) });
  const editor = createEditor({
    photos,
    onSaved: async (photo, { quiet = false } = {}) => {
      if (list.filter.mode === "mine" || quiet) list.replace(photo);
      else await list.reload();
      if (!quiet) await finder.refreshCloud();
    },
    onDeleted: () => Promise.all([list.reload(), finder.refreshCloud()]),
  });
  const addForm = createAddForm({ photos, onAdded: () => Promise.all([list.reload(), finder.refreshCloud()]) });

  root.append(addForm, finder.element, ...list.elements, editor.element);

  return {
    async start() {
      await Promise.all([list.reload(), finder.refreshCloud()]);
    },
    reload: () => list.reload(),
    get listElement() { return byTestId("photo-list", root); },
  };
}
