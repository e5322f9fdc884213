# s3mpu in a container: slim Python, non-root, data in /data, S3 on port 9000.
# Build: docker build -t s3mpu .
# Run:   docker run -p 9000:9000 -v s3mpu-data:/data \
#          -e S3MPU_ACCESS_KEY=... -e S3MPU_SECRET_KEY=... s3mpu

# The wheel is built where a C compiler is, so it carries storage._md5x (MD5 of concurrent
# uploads in SIMD lanes, which picks its kernel when it runs); the image itself has none.
FROM python:3.11-slim AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY server ./server
COPY storage ./storage
# setup.py builds the extension optionally; here a wheel without it is a failed build.
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
    && python -c "import glob, sys, zipfile; \
names = zipfile.ZipFile(glob.glob('/wheels/s3mpu-*.whl')[0]).namelist(); \
sys.exit(not any(n.startswith('storage/_md5x.') and n.endswith('.so') for n in names))"

FROM python:3.11-slim

RUN useradd --system --uid 10001 --home-dir /data s3mpu \
    && mkdir -p /data && chown s3mpu /data

COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels

USER s3mpu
VOLUME /data
EXPOSE 9000

# Any HTTP answer (an unauthenticated request gets 403) means the server is up.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD python -c "import http.client as h; c = h.HTTPConnection('127.0.0.1', 9000, timeout=4); c.request('GET', '/'); c.getresponse()" || exit 1

# Listening beyond loopback needs real credentials: set S3MPU_ACCESS_KEY and S3MPU_SECRET_KEY.
CMD ["s3mpu", "serve", "--data-dir", "/data", "--host", "0.0.0.0", "--port", "9000"]
