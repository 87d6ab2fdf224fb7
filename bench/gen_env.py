#!/usr/bin/env python3
"""Generate a synthetic conda-style environment for bench/run.sh.

    python3 bench/gen_env.py PREFIX --size 1G --files 50000 [--seed 1]

The tree is deterministic for a given (PREFIX, size, files, seed): every byte comes from
random.Random(seed), so two machines benchmark the same content. PREFIX matters because it is
embedded in files, as conda embeds an environment's own path.

The mix, by bytes (entries = regular files + symlinks = --files):
  - big libraries, ~25%: a few files of 100 MB or more (lib/libbig*.so), incompressible random data
    alternating with zero runs, like CUDA/MKL libraries with their zero-filled sections;
  - mid-size .so files, the rest after the other classes (lib/python3.11/site-packages/*/*.so,
    100 KB - 5 MB): random and zero runs, symbol-table-like text, and the prefix as NUL-terminated
    C strings followed by NUL padding, as compiled-in RPATHs and data dirs are;
  - incompressible blobs, ~10%: .npz-like random data, 1-20 MB each;
  - small files, most of the count (~6 KB average): .py source (compressible text), .pyc (a header,
    then text mixed with random bytes), and ~2% text files that name the prefix (bin/ scripts with
    a shebang, .pc and .sh files), as a conda environment's entry points and configs do;
  - symlinks, ~2% of the entries: relative (libfoo.so -> libfoo.so.1) and absolute into the prefix
    (bin/pythonN -> PREFIX/bin/python3.11).
Plus conda-meta/history and one package record listing every file, so `envship pack` accepts it.
With --split-packages, each site-packages/pkgNNN directory and each big library gets a record of its
own (about 230 packages), as a registry push splits an environment into one layer per package.

Speed: all random content is cut from one seeded 64 MiB pool and all text from one seeded text
pool. Reusing the pool does not make the data compressible for zstd -3: its match window is a few
MiB, far smaller than the 64 MiB repeat distance. Generation is bound by the disk, not by Python.
"""
import argparse
import json
import os
import random
import sys

KB, MB, GB = 1 << 10, 1 << 20, 1 << 30
POOL = 64 * MB
WORDS = ("self return import from def class if else elif for while in not and or None True False "
         "value result index array dtype shape numpy torch tensor module config path args kwargs "
         "data buffer offset length name version cache device kernel stream logger error warning "
         "parse build compile register dispatch handler context manager iterator generator").split()


def parse_size(text):
    """'1G', '500M', '64K' or bytes -> bytes."""
    units = {"K": KB, "M": MB, "G": GB, "T": GB * 1024}
    text = text.strip().upper().rstrip("B").rstrip("I")
    return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)


def make_text_pool(rng, size):
    """Python-looking source: compresses roughly 4-6x with zstd -3, as real site-packages do."""
    lines, total = [], 0
    while total < size:
        indent = "    " * rng.randrange(0, 4)
        w = rng.choices(WORDS, k=rng.randrange(2, 9))
        kind = rng.randrange(6)
        if kind == 0:
            line = f"{indent}def {w[0]}_{w[1]}({', '.join(w[2:])}):"
        elif kind == 1:
            line = f"{indent}{w[0]} = {w[1]}.{w[-1]}({rng.randrange(1000)})"
        elif kind == 2:
            line = f"{indent}# {' '.join(w)}"
        elif kind == 3:
            line = f"{indent}if {w[0]} is not None and {w[1]} > {rng.randrange(64)}:"
        elif kind == 4:
            line = f"{indent}return {w[0]}[{w[1]}:{w[-1]}]"
        else:
            line = f'{indent}"""{" ".join(w).capitalize()}."""'
        lines.append(line)
        total += len(line) + 1
    return ("\n".join(lines) + "\n").encode()


class Generator:
    def __init__(self, prefix, size, files, seed):
        self.prefix, self.size, self.files = prefix, size, files
        self.rng = random.Random(seed)
        self.pool = self.rng.randbytes(POOL)
        self.text = make_text_pool(self.rng, 16 * MB)
        self.zeros = bytes(4 * MB)
        self.bprefix = prefix.encode()
        self.written_files = []  # relative paths, for the conda-meta record
        self.bytes = 0

    # ---- content pieces -------------------------------------------------------------------------
    def random_bytes(self, n):
        """n incompressible bytes: a slice of the pool at a random offset (n <= POOL)."""
        off = self.rng.randrange(0, POOL - n + 1)
        return memoryview(self.pool)[off:off + n]

    def text_bytes(self, n):
        off = self.rng.randrange(0, len(self.text) - n)
        return memoryview(self.text)[off:off + n]

    def write(self, rel, chunks, mode=0o644):
        path = os.path.join(self.prefix, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            for c in chunks:
                f.write(c)
                self.bytes += len(c)
        if mode != 0o644:
            os.chmod(path, mode)
        self.written_files.append(rel)

    def random_with_zero_runs(self, total, max_chunk):
        """Yield chunks totalling `total`: random data with zero runs in between (about 1/4 zeros)."""
        left = total
        while left > 0:
            n = min(left, self.rng.randrange(max_chunk // 4, max_chunk + 1))
            if self.rng.random() < 0.25:
                while n > 0:  # zero runs may exceed the zero buffer
                    z = min(n, len(self.zeros))
                    yield memoryview(self.zeros)[:z]
                    n -= z
                    left -= z
                continue
            yield self.random_bytes(n)
            left -= n

    # ---- file classes ---------------------------------------------------------------------------
    def big_library(self, rel, size):
        self.write(rel, self.random_with_zero_runs(size, 8 * MB), 0o755)

    def shared_object(self, rel, size):
        """Mid-size .so: binary runs, symbol-ish strings, and the prefix as padded C strings."""
        def chunks():
            left = size
            while left > 0:
                # Proportions chosen so a .so compresses about 2x with zstd -3, as real ones do.
                kind = self.rng.randrange(8)
                if kind == 0:  # the prefix as a NUL-terminated string, then NUL padding
                    s = self.bprefix + b"/" + self.rng.choice([b"lib", b"share/terminfo", b"etc/ssl/certs",
                                                               b"lib/python3.11/site-packages"]) + b"\0"
                    s += bytes(self.rng.randrange(0, 256))
                elif kind <= 3:  # symbol-table-like text (.dynstr, .rodata)
                    s = bytes(self.text_bytes(min(left, self.rng.randrange(512, 16 * KB)))).replace(b"\n", b"\0")
                elif kind <= 5:  # zero runs (alignment, .bss-like padding)
                    s = bytes(self.rng.randrange(256, 32 * KB))
                else:  # machine code stands in as random bytes
                    s = self.random_bytes(self.rng.randrange(4 * KB, 32 * KB))
                if kind == 0 and len(s) > left:  # never cut a C string: that would be a bare prefix
                    s = bytes(left)
                s = s[:left]
                left -= len(s)
                yield s
        self.write(rel, chunks(), 0o755)

    def blob(self, rel, size):
        self.write(rel, [self.random_bytes(size)])

    def small_py(self, rel, size):
        self.write(rel, [self.text_bytes(size)])

    def small_pyc(self, rel, size):
        """Header, then marshalled-code-like bytes: text (names, consts) interleaved with binary."""
        head = b"\xa7\r\r\n" + bytes(12)
        body, left = [head], size - len(head)
        while left > 0:
            n = min(left, self.rng.randrange(32, 512))
            body.append(self.text_bytes(n) if self.rng.random() < 0.6 else self.random_bytes(n))
            left -= n
        self.write(rel, body)

    def prefix_text(self, i):
        """Text naming the prefix: entry-point scripts, pkg-config and activation files."""
        p = self.prefix
        kind = i % 3
        if kind == 0:
            body = (f"#!{p}/bin/python3.11\n# -*- coding: utf-8 -*-\nimport re\nimport sys\n"
                    f"from tool{i}.main import main\nif __name__ == '__main__':\n"
                    f"    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
                    f"    sys.exit(main())\n")
            self.write(f"bin/tool{i}", [body.encode()], 0o755)
        elif kind == 1:
            body = (f"prefix={p}\nexec_prefix=${{prefix}}\nlibdir={p}/lib\nincludedir={p}/include\n\n"
                    f"Name: lib{i}\nDescription: synthetic library {i}\nVersion: 1.{i % 10}.0\n"
                    f"Libs: -L{p}/lib -l{i}\nCflags: -I{p}/include\n")
            self.write(f"lib/pkgconfig/lib{i}.pc", [body.encode()])
        else:
            body = (f"export PKG{i}_HOME=\"{p}/share/pkg{i}\"\nexport PATH=\"{p}/bin:$PATH\"\n"
                    + bytes(self.text_bytes(self.rng.randrange(256, 4 * KB))).decode(errors="replace"))
            self.write(f"etc/conda/activate.d/pkg{i}.sh", [body.encode()])

    # ---- plan -----------------------------------------------------------------------------------
    def run(self):
        size, files, rng = self.size, self.files, self.rng
        n_links = max(4, files // 50)
        n_regular = files - n_links
        # Big libraries: ~25% of the bytes, each between 100 MB and 512 MB.
        big_total = size // 4
        big_each = min(512 * MB, max(100 * MB, big_total // 3))
        n_big = max(1, big_total // big_each)
        big_each = max(100 * MB, big_total // n_big)
        # Incompressible blobs: ~10% of the bytes, 1-20 MB each.
        blob_total, blob_sizes = size // 10, []
        while sum(blob_sizes) < blob_total:
            blob_sizes.append(rng.randrange(1 * MB, 20 * MB))
        blob_sizes[-1] -= sum(blob_sizes) - blob_total  # land on the budget exactly
        # Small files: most of the count, ~6 KB average, at most 30% of the bytes.
        n_small = max(0, n_regular - n_big - len(blob_sizes))
        n_so_guess = max(1, int(size * 0.35) // (1200 * KB))
        n_small = max(0, n_small - n_so_guess)
        small_total = min(int(size * 0.30), n_small * 6 * KB)
        # Mid-size .so files: everything left, 100 KB - 5 MB each, log-uniform.
        so_total = max(0, size - n_big * big_each - sum(blob_sizes) - small_total)
        so_sizes = []
        while sum(so_sizes) < so_total and len(so_sizes) < n_regular:
            so_sizes.append(int(100 * KB * (50 ** rng.random())))
        if so_sizes:
            so_sizes[-1] = max(100 * KB, so_sizes[-1] - (sum(so_sizes) - so_total))
        n_small = max(0, n_regular - 1 - n_big - len(blob_sizes) - len(so_sizes))  # 1: bin/python3.11
        small_avg = small_total // max(1, n_small)

        py = "lib/python3.11"
        for i in range(n_big):
            self.big_library(f"lib/libbig{i}.so.1", big_each)
        for i, s in enumerate(blob_sizes):
            self.blob(f"share/data/weights{i:04d}.npz", s)
        for i, s in enumerate(so_sizes):
            self.shared_object(f"{py}/site-packages/ext{i % 97:02d}/_mod{i}.cpython-311-x86_64-linux-gnu.so", s)
        n_prefix_text = max(3, n_small // 50)
        for i in range(n_small):
            if i < n_prefix_text:
                self.prefix_text(i)
                continue
            pkg = f"{py}/site-packages/pkg{i % 211:03d}/sub{(i // 211) % 13}"
            # lognormvariate(0, 0.6) has mean exp(0.18): divide it out so the total stays on budget.
            s = max(64, min(64 * KB, int(small_avg * rng.lognormvariate(0, 0.6) / 1.197)))
            if i % 2:
                self.small_py(f"{pkg}/m{i}.py", s)
            else:
                self.small_pyc(f"{pkg}/__pycache__/m{i - 1}.cpython-311.pyc", s)
        # Symlinks: half relative (lib/libfooN.so -> libfooN.so.1), half absolute into the prefix.
        os.makedirs(os.path.join(self.prefix, "bin"), exist_ok=True)
        self.write("bin/python3.11", [b"#!/bin/sh\necho synthetic python\n"], 0o755)
        for i in range(n_links):
            if i % 2:
                rel, target = f"lib/libalias{i}.so", f"libbig{i % n_big}.so.1"
            else:
                rel, target = f"bin/python-alias{i}", os.path.join(self.prefix, "bin/python3.11")
            os.symlink(target, os.path.join(self.prefix, rel))
            self.written_files.append(rel)
        self.conda_meta()

    def conda_meta(self):
        meta = os.path.join(self.prefix, "conda-meta")
        os.makedirs(meta, exist_ok=True)
        groups = {}
        for rel in self.written_files:
            groups.setdefault(self.package_of(rel), []).append(rel)
        with open(os.path.join(meta, "history"), "w") as f:
            f.write("==> 2026-01-01 00:00:00 <==\n# cmd: bench/gen_env.py\n")
            f.writelines(f"+local::{name}-1.0-0\n" for name in sorted(groups))
        for name, files in sorted(groups.items()):
            record = {"name": name, "version": "1.0", "build": "0", "build_number": 0,
                      "channel": "local", "subdir": "linux-64", "depends": [], "license": "MIT",
                      "fn": f"{name}-1.0-0.conda", "files": sorted(files)}
            with open(os.path.join(meta, f"{name}-1.0-0.json"), "w") as f:
                json.dump(record, f)

    def package_of(self, rel):
        if not self.split_packages:
            return "bench-synthetic"
        parts = rel.split("/")
        if "site-packages" in parts and len(parts) > parts.index("site-packages") + 1:
            return "bench-" + parts[parts.index("site-packages") + 1]
        if parts[0] == "lib" and parts[-1].startswith("libbig"):
            return "bench-" + parts[-1].split(".")[0]
        return "bench-synthetic"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("prefix")
    ap.add_argument("--size", default="1G")
    ap.add_argument("--files", type=int, default=50000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--split-packages", action="store_true")
    a = ap.parse_args()
    prefix = os.path.abspath(a.prefix)
    if os.path.exists(prefix) and os.listdir(prefix):
        sys.exit(f"gen_env.py: {prefix} exists and is not empty; remove it first")
    os.makedirs(prefix, exist_ok=True)
    g = Generator(prefix, parse_size(a.size), a.files, a.seed)
    g.split_packages = a.split_packages
    g.run()
    print(f"generated {prefix}: {len(g.written_files)} entries, {g.bytes / MB:.0f} MiB", file=sys.stderr)


if __name__ == "__main__":
    main()
