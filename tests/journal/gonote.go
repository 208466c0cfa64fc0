// SPDX-License-Identifier: Apache-2.0
// An independent signed-note reader for tests/journal/witness.sh: opens a
// note with golang.org/x/mod/sumdb/note (Debian golang-golang-x-mod-dev) and
// the verifier keys given, and prints how many signatures it verified and how
// many it ignored as by unknown keys. Written against the Go package's API,
// it shares nothing with libsovjournal.
//
//	gonote NOTE VERIFIER-KEY-FILE...
package main

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: gonote NOTE VERIFIER-KEY-FILE...")
		os.Exit(2)
	}
	msg, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var vs []note.Verifier
	for _, f := range os.Args[2:] {
		vk, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		v, err := note.NewVerifier(strings.TrimSpace(string(vk)))
		if err != nil {
			fmt.Println("verifier key:", err)
			os.Exit(2)
		}
		vs = append(vs, v)
	}
	n, err := note.Open(msg, note.VerifierList(vs...))
	if err != nil {
		fmt.Println("INVALID:", err)
		os.Exit(1)
	}
	fmt.Printf("VALID verified=%d ignored=%d\n", len(n.Sigs), len(n.UnverifiedSigs))
}
