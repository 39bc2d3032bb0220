"""The line under the dataset row for a folder of images: what was found in it (count, size,
colour, from the files' headers, off the GUI thread) and what training will read it as."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel

from explorer.jobs import Job
from trainer import data
from trainer.data.folder import PREFIX, FolderScan, scan


def read_as(name: str) -> str:
    """What training reads folder `name` as, e.g. "32x32 grey" (trainer.data's default)."""
    channels, height, width = data.shape_and_size(name)[0]
    return f"{width}x{height} {'grey' if channels == 1 else 'colour'}"


def found_text(found: FolderScan, name: str) -> str:
    """ "Found 1,204 images · 28x28 · colour. Training reads them as 32x32 grey ..."."""
    used = read_as(name)
    text = f"Found {found.describe()}."
    if not found.images:
        return text + " Add PNG or JPEG files to it, or choose another dataset."
    same = found.size_text() == used.split()[0] and found.colour_text() == used.split()[1]
    if same:
        return text + f" Training reads them as they are ({used})."
    return text + (f" Training reads them as {used} (centre-cropped and resized, as "
                   "`train --dataset folder:...` does), not as found.")  # fmt: skip


class FolderInfo(QLabel):
    """Shows, for a `folder:PATH` dataset, what the folder holds; hidden for other datasets."""

    def __init__(self) -> None:
        super().__init__(objectName="folderInfo", wordWrap=True)
        self.setToolTip("What the chosen folder holds, read from the files' headers, and the "
                        "size and colour training will read its images at.")  # fmt: skip
        self.job = Job(self)
        self.name: str | None = None
        self.found: FolderScan | None = None
        self.hide()

    def show_for(self, name) -> None:
        """Scan folder `name` (a dataset id) off the GUI thread; hide for any other dataset."""
        if not isinstance(name, str) or not name.startswith(PREFIX):
            self.job.invalidate()
            self.name, self.found = None, None
            self.hide()
            return
        if name == self.name:
            return
        self.name, self.found = name, None
        path = Path(name.removeprefix(PREFIX))
        self.setText(f"Looking at the images in {path.name}...")
        self.show()
        self.job.run(lambda report: scan(path, report), self._found, self._failed)

    def _found(self, found: FolderScan) -> None:
        self.found = found
        self.setText(found_text(found, self.name))

    def _failed(self, error: Exception) -> None:
        self.setText(str(error))
