#!/bin/sh
# gen-man.sh HAKO OUTDIR — man pages from hako's own --help text: hako(1), hako-runtime(1) and
# hako-COMMAND(1) for every command `hako --help` lists (and the subcommands of container,
# image, network, volume and system as hako-GROUP-SUB(1)). What --help says is what the page
# says; nothing is written twice.
set -eu
HAKO=$1
OUT=$2
VERSION=$("$HAKO" --version | sed 's/^hako version //')
DATE=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d 2>/dev/null || date -u +%Y-%m-%d)
mkdir -p "$OUT"
# --help never touches a root, but run against an empty one all the same
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
export HAKO_ROOT="$SCRATCH/root" HAKO_RUNROOT="$SCRATCH/run"

# page NAME TITLE-WORDS... : the --help text on stdin becomes OUT/NAME.1
page() {
    name=$1
    shift
    upper=$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')
    {
        printf '.TH "%s" "1" "%s" "hako %s" "hako manual"\n' "$upper" "$DATE" "$VERSION"
        printf '.SH NAME\n%s \\- %s\n' "$name" "$*"
        printf '.SH DESCRIPTION\n.nf\n'
        # groff: a leading dot or quote and backslashes must be escaped
        sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\\&'/"
        printf '.fi\n.SH SEE ALSO\n'
        if [ "$name" = hako ]; then printf 'hako-run(1), hako-runtime(1)\n'; else printf 'hako(1)\n'; fi
    } >"$OUT/$name.1"
}

# The "  name  summary" lines under "Commands:" of a help text.
commands() {
    sed -n '/^Commands:/,$p' | tail -n +2 | sed -n 's/^  \([a-z][a-z0-9-]*\)  *\(.*\)$/\1\t\2/p'
}

"$HAKO" --help | page hako "a small daemonless container engine, a drop-in for the docker CLI"
# hako-runtime(1): its --help, then each command's usage line (those whose --help has one)
{
    "$HAKO" runtime --help
    printf '\nCommand synopses:\n'
    "$HAKO" runtime --help | sed -n '/^Commands:/,$p' | tail -n +2 | while read -r sub _; do
        "$HAKO" runtime "$sub" --help </dev/null 2>/dev/null | sed -n '1s/^Usage: /  /p'
    done
} | page hako-runtime "the OCI runtime (runc's command line)"
"$HAKO" --help | commands | while IFS="$(printf '\t')" read -r cmd summary; do
    [ "$cmd" = runtime ] && continue
    "$HAKO" "$cmd" --help </dev/null | page "hako-$cmd" "$summary"
    case $cmd in
    container | image | network | volume | system)
        "$HAKO" "$cmd" --help | commands | while IFS="$(printf '\t')" read -r sub ssum; do
            "$HAKO" "$cmd" "$sub" --help </dev/null 2>&1 | page "hako-$cmd-$sub" "$ssum" || true
        done
        ;;
    esac
done
