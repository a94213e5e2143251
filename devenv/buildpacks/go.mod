module pulumi-kpack/devenv/buildpacks

go 1.24
