package espeak

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// otherLanguage matches an entry of the "Other Languages" column of
// espeak-ng --voices, such as "(en 2)" or "(zh-cmn 5)".
var otherLanguage = regexp.MustCompile(`\(([^\s()]+) \d+\)`)

// listLanguages runs espeak-ng --voices, which prints a header and then
// one voice a line: priority, language, age/gender, name, file, and the
// other languages the voice speaks with their priorities.
func listLanguages(bin string) (map[string]bool, error) {
	out, err := run(bin, "--voices")
	if err != nil {
		return nil, fmt.Errorf("espeak: list languages: %w", err)
	}
	langs := make(map[string]bool)
	for _, line := range dataLines(out) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		langs[strings.ToLower(f[1])] = true
		for _, m := range otherLanguage.FindAllStringSubmatch(line, -1) {
			langs[strings.ToLower(m[1])] = true
		}
	}
	if len(langs) == 0 {
		return nil, fmt.Errorf("espeak: list languages: unexpected output %q", firstLine(out))
	}
	return langs, nil
}

// listVariants runs espeak-ng --voices=variant, whose file column reads
// "!v/name" (a name may hold a space, so it runs to the end of the line).
func listVariants(bin string) (map[string]string, error) {
	out, err := run(bin, "--voices=variant")
	if err != nil {
		return nil, fmt.Errorf("espeak: list variants: %w", err)
	}
	variants := make(map[string]string)
	for _, line := range dataLines(out) {
		_, name, ok := strings.Cut(line, "!v/")
		if name = strings.TrimSpace(name); ok && name != "" {
			variants[strings.ToLower(name)] = name
		}
	}
	return variants, nil
}

// dataLines returns the lines of a voice listing after its header.
func dataLines(out string) []string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) > 0 && strings.HasPrefix(strings.TrimSpace(lines[0]), "Pty") {
		lines = lines[1:]
	}
	return lines
}

func run(bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).Output()
	return string(out), err
}
