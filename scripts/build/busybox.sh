#!/usr/bin/env bash
# Fetches Debian's busybox-static (a static shell and coreutils) for the test
# stack's root filesystem. The .deb is downloaded and unpacked into the cache,
# not installed, so the machine is left as it was; a busybox-static already
# installed on the machine is used as is.
. "$(dirname "$0")/common.sh"
DEST="$CACHE_ROOT/bin/busybox-static"
[ -x "$DEST/busybox" ] && { echo "cached: $DEST"; exit 0; }
scratch busybox
mkdir -p "$TMP/bin"
if [ -x /bin/busybox ] && dpkg -s busybox-static >/dev/null 2>&1; then
  cp /bin/busybox "$TMP/bin/busybox"
else
  cd "$TMP"
  log "apt-get download busybox-static"
  if ! apt-get download busybox-static >/dev/null 2>&1; then
    log "apt-get update (package lists are missing or stale)"
    apt-get update >/dev/null
    apt-get download busybox-static >/dev/null
  fi
  dpkg-deb -x busybox-static_*.deb root
  cp root/bin/busybox "$TMP/bin/busybox"
fi
# Only a static busybox runs from a bare root filesystem.
"$TMP/bin/busybox" true
file "$TMP/bin/busybox" 2>/dev/null | grep -q "statically linked" || { ldd "$TMP/bin/busybox" 2>&1 | grep -q "not a dynamic" || { echo "busybox is not static" >&2; exit 1; }; }
finish "$DEST" "$TMP"
