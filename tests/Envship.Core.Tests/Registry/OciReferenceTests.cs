using Envship.Core.Registry;

namespace Envship.Core.Tests.Registry;

public sealed class OciReferenceTests
{
    [Theory]
    [InlineData("oci://127.0.0.1:5000/team/env:v1", "127.0.0.1:5000", "team/env", "v1", null)]
    [InlineData("oci://registry.example.com/env", "registry.example.com", "env", "latest", null)]
    [InlineData("oci://localhost:5000/a/b/c_d__e-f.g:1.0-rc_1", "localhost:5000", "a/b/c_d__e-f.g", "1.0-rc_1", null)]
    [InlineData("oci://[::1]:5000/env:x", "[::1]:5000", "env", "x", null)]
    [InlineData("oci://ghcr.io/org/env@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "ghcr.io", "org/env", null, "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("oci://ghcr.io/org/env:v2@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "ghcr.io", "org/env", "v2", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void Valid_references_parse_into_their_parts(string text, string registry, string repository, string? tag, string? digest)
    {
        var reference = OciReference.Parse(text);
        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
        Assert.Equal(digest, reference.Digest);
        Assert.Equal(digest ?? tag, reference.Reference);
    }

    [Theory]
    [InlineData("docker://127.0.0.1:5000/env:v1", "does not start with oci://")]
    [InlineData("oci://127.0.0.1:5000", "repository is missing")]
    [InlineData("oci:///env", "registry host is missing")]
    [InlineData("oci://127.0.0.1:5000/Team/Env:v1", "not a repository name")]
    [InlineData("oci://127.0.0.1:5000/team//env", "not a repository name")]
    [InlineData("oci://127.0.0.1:5000/team/env-:v1", "not a repository name")]
    [InlineData("oci://127.0.0.1:5000/env:-v1", "is not a tag")]
    [InlineData("oci://127.0.0.1:5000/env@sha256:abc", "is not a digest")]
    [InlineData("oci://bad_host/env", "is not a host name")]
    public void Malformed_references_are_usage_errors_that_show_the_expected_form(string text, string why)
    {
        var error = Assert.Throws<EnvshipException>(() => OciReference.Parse(text));
        Assert.Equal(ExitCode.Usage, error.Code);
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
        Assert.Contains("oci://HOST[:PORT]/REPOSITORY[:TAG][@sha256:HEX]", error.Message, StringComparison.Ordinal);
    }
}
