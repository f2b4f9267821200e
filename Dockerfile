# assb-fem image: `docker build -t assb-fem .`
# run:  docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/data" -w /data assb-fem \
#         mpirun -n 4 assb-fem run cases/x.toml
# (--user makes the outputs belong to you; the image works for any user id)
FROM python:3.12-slim-bookworm

# gcc is needed at run time: dolfinx compiles its forms (JIT). The X/GL libraries are what the
# gmsh wheel links against (it runs headless). Debian versions are not pinned: point releases
# replace them and a pin would break rebuilds; the Python side is pinned by pyproject.toml.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential libglu1-mesa libxcursor1 \
       libxinerama1 libxft2 libgomp1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/assb-fem
COPY . .
# the same install script as CI (scripts/install.sh); the venv goes on PATH
RUN bash scripts/install.sh /opt/venv test \
    && chmod -R a+rX /opt/venv /opt/assb-fem
ENV PATH="/opt/venv/bin:${PATH}" \
    XDG_CACHE_HOME=/tmp/assb-cache \
    MPLCONFIGDIR=/tmp/assb-mpl \
    HOME=/tmp \
    OMP_NUM_THREADS=1
WORKDIR /data
CMD ["assb-fem", "--help"]
