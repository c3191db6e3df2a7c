"""``sodbench sample``: write the synthetic strip-steel sample (see :mod:`sodbench.demo.sample`)."""

from __future__ import annotations

import click


@click.command(name="sample")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write Img/, GT/ and pred/<method>/ into.")
@click.option("--n-images", default=36, show_default=True, type=click.IntRange(min=1),
              help="Number of images (kinds cycle In_, Pa_, Sc_).")
@click.option("--size", default=200, show_default=True, type=click.IntRange(min=16, max=4096),
              help="Side of the square images in pixels.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="Random seed.")
def command(out_dir: str, n_images: int, size: int, seed: int) -> None:
    """Write the bundled synthetic strip-steel sample in the SD-Saliency-900 layout."""
    from sodbench.demo.sample import METHODS, generate

    out = generate(out_dir, n_images=n_images, size=size, seed=seed)
    click.echo(f"wrote {n_images} images to {out} (Img/, GT/, pred/{{{','.join(METHODS)}}}/)")
