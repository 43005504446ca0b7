// Command ec2fleet-example is the Go example fleet. Run by the Pulumi CLI's Go language host (no
// arguments) it is an ordinary Pulumi program; run as `ec2fleet-example <stack> up|preview|refresh|destroy`
// it drives the same program through the Automation API's inline programs, which need no language
// host, in this directory's project (Pulumi.yaml, Pulumi.<stack>.yaml).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	if len(os.Args) == 1 {
		pulumi.Run(fleet)
		return
	}
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: ec2fleet-example [<stack> up|preview|refresh|destroy]")
		os.Exit(2)
	}
	if err := drive(context.Background(), os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// drive runs one operation on the stack, streaming the CLI's output. preview shows the diff and, like
// refresh, fails when there are changes and EC2FLEET_EXPECT_NO_CHANGES is set.
func drive(ctx context.Context, stackName, op string) error {
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	stack, err := auto.UpsertStackInlineSource(ctx, stackName, "ec2fleet-example", fleet, auto.WorkDir(dir))
	if err != nil {
		return err
	}
	expectNoChanges := os.Getenv("EC2FLEET_EXPECT_NO_CHANGES") != ""
	switch op {
	case "up":
		_, err = stack.Up(ctx, optup.ProgressStreams(os.Stdout), optup.ErrorProgressStreams(os.Stderr))
	case "preview":
		opts := []optpreview.Option{optpreview.Diff(), optpreview.ProgressStreams(os.Stdout),
			optpreview.ErrorProgressStreams(os.Stderr)}
		if expectNoChanges {
			opts = append(opts, optpreview.ExpectNoChanges())
		}
		_, err = stack.Preview(ctx, opts...)
	case "refresh":
		opts := []optrefresh.Option{optrefresh.ProgressStreams(os.Stdout), optrefresh.ErrorProgressStreams(os.Stderr)}
		if expectNoChanges {
			opts = append(opts, optrefresh.ExpectNoChanges())
		}
		_, err = stack.Refresh(ctx, opts...)
	case "destroy":
		_, err = stack.Destroy(ctx, optdestroy.ProgressStreams(os.Stdout), optdestroy.ErrorProgressStreams(os.Stderr))
	default:
		return fmt.Errorf("unknown operation %q: want up, preview, refresh or destroy", op)
	}
	return err
}
