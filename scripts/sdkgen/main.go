// Command sdkgen writes the TypeScript, Python and Go SDKs of the ec2fleet package from its schema
// with Pulumi's own code generators (the version the CLI is built from), so the SDKs are what
// `pulumi package gen-sdk` would write.
//
//	sdkgen <schema.json> <out dir>
//
// writes <out>/nodejs, <out>/python and <out>/go. The schema must bind without a single
// diagnostic: a warning here is a warning every SDK user's tooling would show.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

const tool = "ec2fleet-sdkgen"

func main() {
	if len(os.Args) != 3 {
		fail(fmt.Errorf("usage: sdkgen <schema.json> <out dir>"))
	}
	pkg, err := bind(os.Args[1])
	if err != nil {
		fail(err)
	}
	out := os.Args[2]
	generators := map[string]func() (map[string][]byte, error){
		"nodejs": func() (map[string][]byte, error) {
			return nodejs.GeneratePackage(tool, pkg, nil, nil, false, nil)
		},
		"python": func() (map[string][]byte, error) {
			return python.GeneratePackage(tool, pkg, nil, nil)
		},
		"go": func() (map[string][]byte, error) {
			return gogen.GeneratePackage(tool, pkg, nil)
		},
	}
	for _, lang := range []string{"nodejs", "python", "go"} {
		files, err := generators[lang]()
		if err != nil {
			fail(fmt.Errorf("%s: %w", lang, err))
		}
		if err := write(filepath.Join(out, lang), files); err != nil {
			fail(fmt.Errorf("%s: %w", lang, err))
		}
	}
}

// bind reads and binds the schema; any diagnostic, warnings included, is an error.
func bind(path string) (*schema.Package, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// A nil loader panics; this package references no other, so an empty plugin loader serves.
	pkg, diags, err := schema.BindSpec(spec, schema.NewPluginLoader(nil), schema.ValidationOptions{})
	if err != nil {
		return nil, fmt.Errorf("binding %s: %w", path, err)
	}
	if len(diags) > 0 {
		return nil, fmt.Errorf("binding %s: %s", path, diags.Error())
	}
	return pkg, nil
}

// write replaces dir with exactly the generated files.
func write(dir string, files map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, body, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sdkgen:", err)
	os.Exit(1)
}
