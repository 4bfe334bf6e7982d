package password

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"sync"
)

// commonPasswordsGz is Django's contrib/auth/common-passwords.txt.gz (from
// Django 3.2, Debian's python3-django): 20,000 common passwords, lowercased,
// one a line, compiled by Royce Williams.
//
//go:embed common-passwords.txt.gz
var commonPasswordsGz []byte

// commonPasswords is the list as a set, read on first use, as Django's
// CommonPasswordValidator reads it when it is built: each line stripped.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		panic("password: embedded common-passwords.txt.gz: " + err.Error())
	}
	set := make(map[string]struct{}, 20_000)
	lines := bufio.NewScanner(zr)
	for lines.Scan() {
		set[pyStrip(lines.Text())] = struct{}{}
	}
	if err := lines.Err(); err != nil {
		panic("password: embedded common-passwords.txt.gz: " + err.Error())
	}
	return set
})
