// Declares nothing, but loads (and ts-node type-checks) what every pulumi-kpack program loads:
// `npm run bench` times a program's fixed cost with it, beside the empty program that imports nothing.
import * as pulumi from "@pulumi/pulumi";
import * as kpack from "pulumi-kpack";

export const loaded = [typeof pulumi.output, typeof kpack.Image].join(",");
