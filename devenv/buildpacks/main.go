// Command buildpack is the test environment's buildpack: one static program
// that is both bin/detect and bin/build (it picks its role from argv[0]) of
// every test buildpackage (Buildpack API 0.10). It works on the real app
// source, and files in that source are its knobs, so a test makes a build
// fail or slow down by what it builds, never by faking a status:
//
//	fail-detect   detect fails (exit 100), printing the file's text
//	fail-build    build fails (exit 1), printing the file's text on stderr
//	slow-build    build sleeps that many milliseconds first
//
// Each buildpack contributes a launch layer whose proof.txt names the
// buildpack and the sha256 of the app source, and a cache layer whose build
// count it prints ("cache layer found: build N"), so a test can see cache
// reuse. The buildpack whose id ends in /hello also declares the web process.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	exitDetectFail = 100
	exitBuildFail  = 1
)

func main() {
	var err error
	switch filepath.Base(os.Args[0]) {
	case "detect":
		err = detect()
	case "build":
		err = build()
	default:
		err = fmt.Errorf("called as %q; expected bin/detect or bin/build", os.Args[0])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", buildpackID(), err)
		os.Exit(exitBuildFail)
	}
}

// buildpackID is read back from the buildpack's directory, which the
// lifecycle lays out as /cnb/buildpacks/<id with / as _>/<version>.
func buildpackID() string {
	dir := os.Getenv("CNB_BUILDPACK_DIR")
	if dir == "" {
		dir = filepath.Dir(filepath.Dir(os.Args[0]))
	}
	return strings.ReplaceAll(filepath.Base(filepath.Dir(dir)), "_", "/")
}

// knob returns the trimmed text of an app file and whether it exists.
func knob(name string) (string, bool) {
	b, err := os.ReadFile(name)
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

func detect() error {
	if msg, ok := knob("fail-detect"); ok {
		fmt.Printf("%s: detect fails because the app has fail-detect: %s\n", buildpackID(), msg)
		os.Exit(exitDetectFail)
	}
	fmt.Printf("%s: detected\n", buildpackID())
	return nil
}

func build() error {
	id := buildpackID()
	layers := os.Getenv("CNB_LAYERS_DIR")
	if layers == "" {
		return fmt.Errorf("CNB_LAYERS_DIR is not set; bin/build must run under the CNB lifecycle (Buildpack API 0.10)")
	}
	if ms, ok := knob("slow-build"); ok {
		n, err := strconv.Atoi(ms)
		if err != nil {
			return fmt.Errorf("slow-build holds %q, not a number of milliseconds", ms)
		}
		fmt.Printf("%s: slow-build: sleeping %d ms\n", id, n)
		time.Sleep(time.Duration(n) * time.Millisecond)
	}
	if msg, ok := knob("fail-build"); ok {
		fmt.Fprintf(os.Stderr, "%s: build failed: %s\n", id, msg)
		os.Exit(exitBuildFail)
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	sum, files, err := hashTree(wd)
	if err != nil {
		return fmt.Errorf("hashing the app source in %s: %w", wd, err)
	}
	fmt.Printf("%s: app source %s: %d files, sha256 %s\n", id, wd, files, sum)

	if _, err := cacheLayer(layers, id); err != nil {
		return err
	}
	// Layer toml types are rewritten every build: since Buildpack API 0.6 the
	// lifecycle does not keep them from the previous build.
	proof := filepath.Join(layers, "proof")
	if err := os.MkdirAll(proof, 0o755); err != nil {
		return err
	}
	// Only what was built from goes into the launch layer: the build count
	// stays in the cache layer, so two builds of one source give one digest.
	text := fmt.Sprintf("buildpack=%s\nsource-sha256=%s\n", id, sum)
	if err := os.WriteFile(filepath.Join(proof, "proof.txt"), []byte(text), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(proof+".toml", []byte("[types]\nlaunch = true\n"), 0o644); err != nil {
		return err
	}
	if strings.HasSuffix(id, "/hello") {
		launch := fmt.Sprintf("[[processes]]\ntype = \"web\"\ncommand = [\"cat\"]\nargs = [%q]\ndefault = true\n", filepath.Join(proof, "proof.txt"))
		if err := os.WriteFile(filepath.Join(layers, "launch.toml"), []byte(launch), 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("%s: wrote %s\n", id, filepath.Join(proof, "proof.txt"))
	return nil
}

// cacheLayer reports whether the restorer brought back the previous build's
// cache layer, then writes this build's count into it.
func cacheLayer(layers, id string) (int, error) {
	dir := filepath.Join(layers, "cache")
	count := 1
	if prev, ok := knob(filepath.Join(dir, "count")); ok {
		n, err := strconv.Atoi(prev)
		if err != nil {
			return 0, fmt.Errorf("cache layer %s holds %q, not a build count", dir, prev)
		}
		count = n + 1
		fmt.Printf("%s: cache layer found: build %d (previous build %d)\n", id, count, n)
	} else {
		fmt.Printf("%s: cache layer not found: first build\n", id)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	if err := os.WriteFile(filepath.Join(dir, "count"), []byte(strconv.Itoa(count)), 0o644); err != nil {
		return 0, err
	}
	return count, os.WriteFile(dir+".toml", []byte("[types]\ncache = true\n"), 0o644)
}

// hashTree hashes every regular file's path and content under root, in
// order, leaving out a top-level .git (the clone's metadata, not the source).
func hashTree(root string) (string, int, error) {
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p == filepath.Join(root, ".git") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return "", 0, err
	}
	sort.Strings(paths)
	h := sha256.New()
	for _, p := range paths {
		rel, _ := filepath.Rel(root, p)
		fmt.Fprintf(h, "%s\x00", rel)
		f, err := os.Open(p)
		if err != nil {
			return "", 0, err
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", 0, err
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), len(paths), nil
}
