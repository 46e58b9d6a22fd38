"""The build context of Legato's container image: Legato's wheel (the built UI inside) and a wheelhouse of its
locked dependencies, so that `docker build` needs no network and installs exactly what uv.lock pins.

    python deploy/image_context.py DIR [--extras all]

Run with the project's virtual environment (it has uv and pip); `make image` does it, then builds."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build(target: Path, extras: list[str]) -> Path:
    """Fill `target` (emptied first) with Dockerfile, wheels/legato-*.whl and wheels of every dependency."""
    bin_dir = Path(sys.executable).parent
    uv = shutil.which("uv", path=str(bin_dir)) or "uv"
    if target.exists():
        shutil.rmtree(target)
    wheels = target / "wheels"
    wheels.mkdir(parents=True)
    shutil.copy(ROOT / "Dockerfile", target / "Dockerfile")
    subprocess.run([uv, "build", "--wheel", "-q", "-o", str(wheels)], cwd=ROOT, check=True, timeout=900)
    requirements = target / "requirements.txt"
    export = [uv, "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "-q", "-o", str(requirements)]
    subprocess.run([*export, *(f"--extra={e}" for e in extras)], cwd=ROOT, check=True, timeout=300)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps",
                    "-w", str(wheels), "-r", str(requirements)], check=True, timeout=1800)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path)
    parser.add_argument("--extras", nargs="*", default=[], help="Optional families to include (e.g. all).")
    args = parser.parse_args()
    build(args.target, args.extras)
    print(args.target)


if __name__ == "__main__":
    main()
