#!/usr/bin/env bash
# Builds the real Asterisk (chan_pjsip, bundled pjproject 2.17) that the interop suite runs against,
# from two source archives, and installs it under PREFIX. About 4-6 minutes on 2 cores; a second call
# with the same PREFIX and archives returns at once. Needs root for apt-get (build dependencies and
# Debian's sound packages).
#   usage: scripts/build-asterisk.sh [--check] ARCHIVES PREFIX
# --check: exit 0 when PREFIX already holds this build, 1 when not; changes nothing.
# ARCHIVES holds asterisk-master-f0c1c1a7b7.tar.gz and pjproject-2.17.tar.bz2 (README.md says where
# to get them). Asterisk reads no configuration from PREFIX: the tests start it with -C.
set -euo pipefail
CHECK_ONLY=0
if [[ ${1:-} == --check ]]; then CHECK_ONLY=1; shift; fi
HERE=$(cd "${1:?usage: build-asterisk.sh ARCHIVES PREFIX}" && pwd)
PREFIX=${2:?usage: build-asterisk.sh ARCHIVES PREFIX}
for f in "asterisk-master-f0c1c1a7b7.tar.gz" "pjproject-2.17.tar.bz2"; do
  [[ -f $HERE/$f ]] || { echo "asterisk: $HERE/$f is missing (README.md: A real Asterisk for the tests)" >&2; exit 1; }
done
VERSION=master-f0c1c1a7b7
STAMP="$VERSION $(md5sum "$HERE/asterisk-$VERSION.tar.gz" "$HERE/pjproject-2.17.tar.bz2" | md5sum | cut -c1-12)"

if [[ -x $PREFIX/sbin/asterisk && "$(cat "$PREFIX/.build-stamp" 2>/dev/null)" == "$STAMP" ]]; then
  echo "asterisk: $PREFIX has $VERSION already"
  exit 0
fi
((CHECK_ONLY)) && exit 1

DEPS=(build-essential pkg-config bzip2 patch python3 libedit-dev libjansson-dev libxml2-dev uuid-dev
      libsqlite3-dev libssl-dev libncurses-dev
      asterisk-core-sounds-en-wav asterisk-moh-opsound-wav)
missing=()
for p in "${DEPS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "asterisk: installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

start=$(date +%s)
WORK=$(mktemp -d -t asterisk-build.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
tar -xzf "$HERE/asterisk-$VERSION.tar.gz" -C "$WORK"
SRC=$WORK/asterisk-$VERSION
mkdir -p "$WORK/cache" && cp "$HERE/pjproject-2.17.tar.bz2" "$WORK/cache/"
cd "$SRC"
echo "$VERSION" > .version
./configure --prefix="$PREFIX" --sysconfdir="$PREFIX/etc" --localstatedir="$PREFIX/var" \
  --with-pjproject-bundled --without-jansson-bundled --with-download-cache="$WORK/cache" \
  --without-libjwt --without-srtp --without-postgres --without-unixodbc --without-gsm --without-ilbc \
  --without-speex --without-speexdsp --without-spandsp >"$WORK/configure.log" 2>&1 \
  || { tail -40 "$WORK/configure.log"; exit 1; }
make menuselect.makeopts >/dev/null
# Off: sound downloads (Debian's packages serve), native CPU flags, ARI/Stasis and what a PBX,
# voicemail and media server for sipcc never loads.
off=(CORE-SOUNDS-EN-GSM MOH-OPSOUND-WAV BUILD_NATIVE astcanary
  app_stasis app_stasis_broadcast app_minivm app_sms app_festival app_externalivr app_sla
  app_alarmreceiver app_adsiprog app_getcpeid app_mp3 app_test app_amd app_audiosocket app_morsecode
  app_zapateller app_dictate app_ivrdemo app_jack app_mf app_sf app_privacy app_disa app_agent_pool
  app_speech_utils chan_iax2 chan_unistim chan_websocket chan_audiosocket chan_rtp
  res_ari res_ari_applications res_ari_asterisk res_ari_bridges res_ari_channels
  res_ari_device_states res_ari_endpoints res_ari_events res_ari_mailboxes res_ari_model
  res_ari_playbacks res_ari_recordings res_ari_sounds res_stasis res_stasis_answer
  res_stasis_device_state res_stasis_mailbox res_stasis_playback res_stasis_recording
  res_stasis_snoop res_stasis_test res_stasis_broadcast res_aeap res_speech_aeap res_speech res_fax
  res_phoneprov res_pjsip_phoneprov_provider res_hep res_hep_pjsip res_hep_rtcp res_prometheus
  res_calendar res_audiosocket res_websocket_client res_statsd res_config_sqlite3 res_cdrel_custom
  res_agi pbx_dundi pbx_ael res_ael_share pbx_realtime pbx_loopback cel_custom cel_manager
  cel_sqlite3_custom cdr_sqlite3_custom cdr_radius cdr_manager codec_ilbc codec_lpc10 codec_g726
  codec_adpcm codec_g722 format_g719 format_g723 format_g726 format_g729 format_ilbc format_siren14
  format_siren7 format_vox format_h263 format_h264 format_wav_gsm)
args=(); for m in "${off[@]}"; do args+=(--disable "$m"); done
menuselect/menuselect "${args[@]}" menuselect.makeopts >/dev/null
make -j"$(nproc)" >"$WORK/make.log" 2>&1 || { tail -60 "$WORK/make.log"; exit 1; }
make install >"$WORK/install.log" 2>&1 || { tail -40 "$WORK/install.log"; exit 1; }
# Debian's sound packages as Asterisk looks them up under astdatadir: sounds/en/<prompt>, moh/.
mkdir -p "$PREFIX/var/lib/asterisk/sounds"
ln -sfn /usr/share/asterisk/sounds/en_US_f_Allison "$PREFIX/var/lib/asterisk/sounds/en"
rm -rf "$PREFIX/var/lib/asterisk/moh"
ln -sfn /usr/share/asterisk/moh "$PREFIX/var/lib/asterisk/moh"
echo "$STAMP" > "$PREFIX/.build-stamp"
echo "asterisk: $VERSION installed in $PREFIX in $(( $(date +%s) - start )) s"
