# bash completion for hako: commands, subcommands and flags are read from hako's own --help
# (so they are always those of the installed binary), container names from `hako ps -a` and
# image names from `hako images`. Global options given before the command (--root, --runroot)
# are passed on to those lookups.

_hako_help_words() { # the "  name  summary" commands of a help text
    sed -n '/^Commands:/,$p' | sed -n 's/^  \([a-z][a-z0-9-]*\)  .*/\1/p'
}

_hako_flags() { # every --flag and -x a help text names
    grep -o -- '\(^\|[ [,/]\)--\?[a-zA-Z][a-zA-Z0-9-]*' | sed 's/^[ [,/]//' | grep '^-' | sort -u
}

_hako() {
    local cur=${COMP_WORDS[COMP_CWORD]} i w cmd="" sub="" glob=()
    local -a words=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
        --root | --runroot | --cgroup-parent | --log-level | --max-archive-size)
            glob+=("$w" "${COMP_WORDS[i + 1]}")
            ((i++))
            continue
            ;;
        -*) continue ;;
        esac
        if [[ -z $cmd ]]; then cmd=$w
        elif [[ -z $sub ]]; then sub=$w
        fi
        words+=("$w")
    done
    local hako=${COMP_WORDS[0]}
    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$("$hako" --help 2>/dev/null | _hako_flags)" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$("$hako" --help 2>/dev/null | _hako_help_words)" -- "$cur"))
        fi
        return
    fi
    local group=""
    case $cmd in
    container | image | network | volume | system)
        if [[ -z $sub ]]; then
            COMPREPLY=($(compgen -W "$("$hako" "$cmd" --help 2>/dev/null | _hako_help_words)" -- "$cur"))
            return
        fi
        group=$cmd
        cmd=$sub
        ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$("$hako" ${group:+"$group"} "$cmd" --help 2>/dev/null | _hako_flags)" -- "$cur"))
        return
    fi
    # values of the flags that name something hako knows
    case ${COMP_WORDS[COMP_CWORD - 1]} in
    --network | --net)
        COMPREPLY=($(compgen -W "none host $("$hako" "${glob[@]}" network ls --format '{{.Name}}' 2>/dev/null)" -- "$cur"))
        return
        ;;
    --volumes-from)
        COMPREPLY=($(compgen -W "$("$hako" "${glob[@]}" ps -a --format '{{.Names}}' 2>/dev/null)" -- "$cur"))
        return
        ;;
    --restart)
        COMPREPLY=($(compgen -W "no on-failure always unless-stopped" -- "$cur"))
        return
        ;;
    --pull)
        if [[ $cmd == @(run|create) ]]; then
            COMPREPLY=($(compgen -W "missing always never" -- "$cur"))
            return
        fi
        ;;
    esac
    local names=""
    case ${group:+$group-}$cmd in
    run | create | image-inspect | rmi | image-rm | tag | image-tag | history | save | image-save | push)
        names=$("$hako" "${glob[@]}" images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep -v '<none>')
        ;;
    volume-*)
        names=$("$hako" "${glob[@]}" volume ls -q 2>/dev/null)
        ;;
    network-*)
        names=$("$hako" "${glob[@]}" network ls --format '{{.Name}}' 2>/dev/null)
        ;;
    events | images | ps | info | version | login | logout | load | import | build | pull | system-*) ;;
    *)
        names=$("$hako" "${glob[@]}" ps -a --format '{{.Names}}' 2>/dev/null)
        ;;
    esac
    COMPREPLY=($(compgen -W "$names" -- "$cur"))
}

complete -F _hako hako
