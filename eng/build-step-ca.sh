#!/usr/bin/env bash
# Builds a real step-ca from the Go sources Debian ships (golang-github-smallstep-certificates-dev),
# for the tests that run the real CA. Usage: eng/build-step-ca.sh [OUT_DIR]   (default: .tools/bin)
# Prints the path of the binary. Installs the Debian packages it needs when run as root.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/.tools/bin}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

if [ -x "$out/step-ca" ] && "$out/step-ca" version >/dev/null 2>&1; then
  echo "$out/step-ca"; exit 0
fi

if [ ! -d /usr/share/gocode/src/github.com/smallstep/certificates ] || ! command -v go >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go golang-github-smallstep-certificates-dev >&2
  else
    echo "error: need golang-go and golang-github-smallstep-certificates-dev; run: sudo apt-get install golang-go golang-github-smallstep-certificates-dev" >&2
    exit 2
  fi
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src/localtls/step-ca"
cat > "$work/src/localtls/step-ca/main.go" <<'GO'
package main

import (
	"fmt"
	"os"

	"github.com/smallstep/certificates/commands"
	"github.com/urfave/cli"
	"go.step.sm/cli-utils/step"
)

func main() {
	step.Set("Smallstep CA", "0.19.0", "debian")
	app := cli.NewApp()
	app.Name = "step-ca"
	app.HelpName = "step-ca"
	app.Usage = "an online certificate authority for secure automated certificate management"
	app.UsageText = commands.AppCommand.UsageText
	app.Version = step.Version()
	app.Flags = append(commands.AppCommand.Flags, cli.HelpFlag)
	app.Action = commands.AppCommand.Action
	app.Commands = []cli.Command{{Name: "version", Usage: "print the version", Action: func(*cli.Context) error {
		fmt.Println(step.Version())
		return nil
	}}}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
GO
cd "$work/src/localtls/step-ca"
GO111MODULE=off GOPATH="$work:/usr/share/gocode" GOCACHE="${GOCACHE:-$work/cache}" \
  go build -o "$out/step-ca" . >&2
echo "$out/step-ca"
