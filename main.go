// Command wscope is an interactive WebSocket inspector for the terminal.
package main

import (
	"os"

	"github.com/wscope/wscope/cli"
)

func main() { os.Exit(cli.Main()) }
