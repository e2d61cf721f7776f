"""PyInstaller's own QtGui hook, minus the Qt plugins rtprobe never loads.

Filtering here, before PyInstaller scans binaries for their dependencies, keeps out
what those plugins link as well (the GTK3 platform theme alone brings ~20 MB of GTK,
cairo and pango). Kept: platforms xcb/wayland/offscreen/minimal (and cocoa/windows on
those systems), xcbglintegrations, the wayland client plugins, platforminputcontexts,
platformthemes other than gtk3, imageformats svg/ico/jpeg/gif, iconengines.
"""

import os
import re

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

_DROP = re.compile(
    r"plugins/(?:"
    r"egldeviceintegrations|generic|accessiblebridge"
    r"|platforms/[^/]*(?:linuxfb|vnc|vkkhrdisplay|minimalegl|eglfs)"
    r"|platformthemes/[^/]*gtk3"
    r"|imageformats/[^/]*(?:webp|tiff|tga|wbmp|icns|pdf)"
    r"|wayland-graphics-integration-client/[^/]*vulkan"
    r")"
)


def _wanted(entry) -> bool:
    src, dest = entry
    path = (dest + "/" + os.path.basename(src)).replace("\\", "/")
    return os.environ.get("RTPROBE_BUNDLE_FULL_QT") == "1" or not _DROP.search(path)


hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [b for b in binaries if _wanted(b)]
