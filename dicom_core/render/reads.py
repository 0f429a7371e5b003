"""The elements rendering reads: a read asking for a few fields converts only those and these."""

# The image pixel, modality LUT, VOI LUT and palette modules (group 0028), the pixel data and
# its offset tables (7FE0), the functional groups of enhanced multi-frame objects (5200).
RENDERING_GROUPS = frozenset({0x0028, 0x5200, 0x7FE0})
# SOP class (the "no pixel data" message); Cine Rate, Frame Time, Frame Time Vector (GIF timing).
RENDERING_TAGS = frozenset({0x00080016, 0x00180040, 0x00181063, 0x00181065})


def is_read_by_rendering(tag: int) -> bool:
    return tag >> 16 in RENDERING_GROUPS or tag in RENDERING_TAGS
