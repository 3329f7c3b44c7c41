// A tiny program cross-compiled for several architectures: the tests read its build info and
// symbols from 32- and 64-bit, little- and big-endian ELF files.
package main

import (
	"os"

	"golang.org/x/crypto/blowfish"
)

func main() {
	c, err := blowfish.NewCipher([]byte("pkgscan-test-key"))
	if err != nil {
		os.Exit(1)
	}
	out := make([]byte, 8)
	c.Encrypt(out, []byte("8 bytes!"))
	os.Stdout.Write(out)
}
