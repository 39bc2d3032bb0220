"""Keeping the main window inside the screen it opens on (its first size and a restored one,
saved on a bigger screen). `fit_rect` is the pure rule; `fit_window` applies it."""

from __future__ import annotations

from PySide6.QtCore import QMargins, QRect, QSize

PREFERRED = QSize(1360, 860)  # the first size where the screen has room for it
# Until a window manager has framed the window its frame is unknown: leave this much room.
FRAME_GUESS = QMargins(4, 32, 4, 4)


def fit_rect(rect: QRect, available: QRect, frame: QMargins = FRAME_GUESS) -> QRect:
    """`rect` (the client geometry) shrunk and moved so that it plus `frame` lies inside
    `available`; a rect that fits already comes back unchanged."""
    room = available.marginsRemoved(frame)
    width = min(rect.width(), room.width())
    height = min(rect.height(), room.height())
    x = min(max(rect.x(), room.left()), room.left() + room.width() - width)
    y = min(max(rect.y(), room.top()), room.top() + room.height() - height)
    return QRect(x, y, width, height)


def first_rect(available: QRect, frame: QMargins = FRAME_GUESS) -> QRect:
    """The first window: PREFERRED where it fits, else the whole room; centred."""
    room = available.marginsRemoved(frame)
    size = PREFERRED.boundedTo(room.size())
    x = room.left() + (room.width() - size.width()) // 2
    y = room.top() + (room.height() - size.height()) // 2
    return QRect(x, y, size.width(), size.height())


def frame_margins(window) -> QMargins:
    """The window's frame (title bar, borders) once known, else FRAME_GUESS."""
    frame, inner = window.frameGeometry(), window.geometry()
    margins = QMargins(
        inner.left() - frame.left(),
        inner.top() - frame.top(),
        frame.right() - inner.right(),
        frame.bottom() - inner.bottom(),
    )
    known = window.isVisible() and margins.top() > 0
    return margins if known else FRAME_GUESS


def fit_window(window, first: bool = False) -> None:
    """Put `window` (a QWidget) inside its screen's available geometry; `first`: give it the
    first-start size (no saved geometry). Maximised and full-screen windows are left alone."""
    screen = window.screen()
    if screen is None or window.isMaximized() or window.isFullScreen():
        return
    available, frame = screen.availableGeometry(), frame_margins(window)
    rect = first_rect(available, frame) if first else fit_rect(window.geometry(), available, frame)
    if rect != window.geometry():
        window.setGeometry(rect)
