package sip

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// parseDTMFInfo reads a digit from an INFO body: application/dtmf-relay
// ("Signal=5", with Duration) or application/dtmf ("5"). Signal values
// 10 and 11 mean '*' and '#', as some gateways send them. It returns a
// *StatusError: 415 for other content types, 400 for bodies without a
// digit.
func parseDTMFInfo(contentType string, body []byte) (rune, error) {
	var value string
	switch contentType {
	case "application/dtmf-relay":
		sc := bufio.NewScanner(bytes.NewReader(body))
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				value = strings.TrimSpace(v)
				break
			}
		}
	case "application/dtmf":
		value = strings.TrimSpace(string(body))
	default:
		return 0, statusError(415, "", fmt.Errorf("info content type %q", contentType))
	}
	digit, ok := dtmfDigit(value)
	if !ok {
		return 0, statusError(400, "Bad DTMF Signal", fmt.Errorf("dtmf signal %q", value))
	}
	return digit, nil
}

// dtmfDigit maps a signal to one of the sixteen DTMF keys.
func dtmfDigit(v string) (rune, bool) {
	if len(v) == 1 {
		r := rune(strings.ToUpper(v)[0])
		if r >= '0' && r <= '9' || r == '*' || r == '#' || r >= 'A' && r <= 'D' {
			return r, true
		}
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, false
	}
	switch n {
	case 10:
		return '*', true
	case 11:
		return '#', true
	case 12, 13, 14, 15:
		return rune('A' + n - 12), true
	}
	return 0, false
}
