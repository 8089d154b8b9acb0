#!/bin/sh
# Open a Loket page full screen on a TV or a kiosk PC, and keep it open.
#
#   deploy/loket-kiosk.sh http://192.168.1.10/display/kupang       # the waiting-room TV
#   deploy/loket-kiosk.sh http://192.168.1.10/kiosk/kupang         # the ticket kiosk
#
# Waits until the server answers (the PC may boot before the server), turns off screen blanking,
# starts Chromium in kiosk mode with its own profile (so the device stays signed in: open the
# admin's one-time sign-in link once in this profile), and restarts it if it ever exits or crashes.
# Put it in the session's autostart (see deploy/loket-kiosk.desktop).
#
# Environment: CHROMIUM (default: chromium, else chromium-browser, else google-chrome),
# LOKET_KIOSK_PROFILE (default: ~/.config/loket-kiosk), LOKET_KIOSK_ONCE=1 (no restart loop).
set -u

URL=${1:-}
if [ -z "$URL" ]; then
    echo "usage: $0 URL   (e.g. http://192.168.1.10/display/kupang)" >&2
    exit 2
fi
case "$URL" in
    http://*|https://*) ;;
    *) echo "$0: the address must start with http:// or https:// (got: $URL)" >&2; exit 2 ;;
esac

BROWSER=${CHROMIUM:-}
if [ -z "$BROWSER" ]; then
    for candidate in chromium chromium-browser google-chrome; do
        if command -v "$candidate" >/dev/null 2>&1; then BROWSER=$candidate; break; fi
    done
fi
if [ -z "$BROWSER" ]; then
    echo "$0: Chromium is not installed (sudo apt install chromium)" >&2
    exit 3
fi
PROFILE=${LOKET_KIOSK_PROFILE:-$HOME/.config/loket-kiosk}
mkdir -p "$PROFILE"

# No screen saver, no power saving: a TV that goes black calls nobody.
if command -v xset >/dev/null 2>&1 && [ -n "${DISPLAY:-}" ]; then
    xset s off -dpms s noblank 2>/dev/null || true
fi

# Wait for the server (up to 10 minutes, then open anyway: the page reconnects by itself).
tries=0
while [ $tries -lt 300 ]; do
    if command -v curl >/dev/null 2>&1; then
        curl -s -o /dev/null --max-time 2 "$URL" && break
    elif command -v wget >/dev/null 2>&1; then
        wget -q -O /dev/null -T 2 "$URL" && break
    else
        break
    fi
    tries=$((tries + 1))
    sleep 2
done

# Chromium writes "exited cleanly" on a normal exit; after a power cut it would offer to restore
# the session in a bar over the page. Mark the last exit clean before every start.
PREFS="$PROFILE/Default/Preferences"
if [ -f "$PREFS" ]; then
    sed -i 's/"exited_cleanly":false/"exited_cleanly":true/; s/"exit_type":"[^"]*"/"exit_type":"Normal"/' "$PREFS"
fi

while :; do
    "$BROWSER" \
        --kiosk "$URL" \
        --user-data-dir="$PROFILE" \
        --no-first-run \
        --noerrdialogs \
        --disable-infobars \
        --disable-session-crashed-bubble \
        --disable-features=Translate,TranslateUI \
        --disable-pinch \
        --overscroll-history-navigation=0 \
        --autoplay-policy=no-user-gesture-required \
        --check-for-update-interval=31536000
    status=$?
    [ "${LOKET_KIOSK_ONCE:-0}" = "1" ] && exit $status
    echo "$0: Chromium exited ($status); starting it again in 3 s" >&2
    sleep 3
done
