"""Draw the app's icons with Pillow (no font files needed): a red rounded square with four white houses-dots
around a centre, the "four links". Run once; the PNG/ICO files are committed under static/img/.

    .venv/bin/python scripts/make_icons.py
"""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "img"
RED = (179, 38, 30, 255)
WHITE = (255, 255, 255, 255)


def icon(size: int, *, maskable: bool = False) -> Image.Image:
    img = Image.new("RGBA", (size, size), RED if maskable else (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    pad = 0 if maskable else size // 16
    if not maskable:
        draw.rounded_rectangle((pad, pad, size - pad, size - pad), radius=size // 5, fill=RED)
    c, r = size / 2, size * (0.2 if maskable else 0.24)
    dot = size * (0.08 if maskable else 0.1)
    for dx, dy in ((0, -r), (r, 0), (0, r), (-r, 0)):
        draw.line((c, c, c + dx, c + dy), fill=WHITE, width=max(1, size // 32))
        draw.ellipse((c + dx - dot, c + dy - dot, c + dx + dot, c + dy + dot), fill=WHITE)
    big = dot * 1.3
    draw.ellipse((c - big, c - big, c + big, c + big), fill=WHITE)
    return img


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size).save(OUT / f"icon-{size}.png", optimize=True)
    icon(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)
    icon(180, maskable=True).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)
    icon(64).save(OUT / "favicon.ico", sizes=[(16, 16), (32, 32)])


if __name__ == "__main__":
    main()
