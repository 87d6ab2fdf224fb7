using Envship.Core.Relocation;

namespace Envship.Core.Tests.Relocation;

public sealed class RunpathRewriterTests
{
    private const string Source = "/opt/env";

    [Theory]
    [InlineData("bin", "lib", "$ORIGIN/../lib")]
    [InlineData("lib", "lib", "$ORIGIN")]
    [InlineData("lib/python3.11/lib-dynload", "lib", "$ORIGIN/../..")]
    [InlineData("lib/python3.11/site-packages/numpy/core", "lib", "$ORIGIN/../../../..")]
    [InlineData("lib/R/library/stats/libs", "lib/R/lib", "$ORIGIN/../../../lib")]
    [InlineData("", "lib", "$ORIGIN/lib")]
    [InlineData(".", "lib/x", "$ORIGIN/lib/x")]
    [InlineData("lib", "", "$ORIGIN/..")]
    [InlineData("", "", "$ORIGIN")]
    [InlineData("lib/foo", "lib/bar/baz", "$ORIGIN/../bar/baz")]
    [InlineData("libexec", "lib", "$ORIGIN/../lib")]
    [InlineData("./bin/", "lib/", "$ORIGIN/../lib")]
    [InlineData("bin", "lib//./x", "$ORIGIN/../lib/x")]
    [InlineData("bin", "lib/../lib64", "$ORIGIN/../lib/../lib64")]
    public void Origin_path_is_relative_to_the_elf_directory(string elfDirectory, string target, string expected)
    {
        var entry = target.Length == 0 ? Source : $"{Source}/{target}";

        Assert.Equal(expected, RunpathRewriter.Rewrite(entry, Source, "/anywhere", elfDirectory, 4096, preferOrigin: true));
    }

    [Theory]
    // Absolute form when it fits.
    [InlineData("/opt/env/lib", "/srv/a", "bin", 12, false, "/srv/a/lib")]
    [InlineData("/opt/env/lib", "/srv/abc", "bin", 12, false, "/srv/abc/lib")]
    [InlineData("/opt/env/lib", "/srv/a/", "bin", 12, false, "/srv/a/lib")]
    [InlineData("/opt/env", "/srv/a", "bin", 100, false, "/srv/a")]
    [InlineData("/opt/env/lib:/usr/lib:$ORIGIN", "/srv/a", "lib", 100, false, "/srv/a/lib:/usr/lib:$ORIGIN")]
    [InlineData("/opt/env/lib::/opt/env/lib64", "/s", "lib", 100, false, "/s/lib::/s/lib64")]
    // Absolute too long: $ORIGIN form.
    [InlineData("/opt/env/lib", "/srv/a/longer/prefix", "bin", 14, false, "$ORIGIN/../lib")]
    [InlineData("/opt/env/lib:/opt/env/lib/R/lib", "/srv/a/longer/prefix", "lib", 40, false, "$ORIGIN:$ORIGIN/R/lib")]
    [InlineData("/opt/env/lib:/usr/local/lib", "/srv/a/longer/prefix", "lib", 22, false, "$ORIGIN:/usr/local/lib")]
    // Nothing fits.
    [InlineData("/opt/env/lib", "/srv/a/longer/prefix", "bin", 13, false, null)]
    [InlineData("/opt/env/lib:/usr/local/lib", "/srv/a/longer/prefix", "lib", 21, false, null)]
    // preferOrigin skips the absolute attempt even when it would fit.
    [InlineData("/opt/env/lib", "/s", "bin", 100, true, "$ORIGIN/../lib")]
    [InlineData("/opt/env/lib", "/s", "bin", 13, true, null)]
    // Entries outside the prefix, including its siblings, are left alone.
    [InlineData("/opt/env2/lib:/opt/environment/lib", "/s", "lib", 100, false, "/opt/env2/lib:/opt/environment/lib")]
    [InlineData("/opt/env2/lib", "/s", "lib", 100, true, "/opt/env2/lib")]
    [InlineData("$ORIGIN/../lib", "/s", "bin", 14, false, "$ORIGIN/../lib")]
    [InlineData("", "/s", "bin", 0, false, "")]
    [InlineData("/usr/lib/a/long/path", "/s", "bin", 5, false, null)]
    // maxLength counts UTF-8 bytes.
    [InlineData("/opt/env/lib", "/é", "bin", 7, false, "/é/lib")]
    [InlineData("/opt/env/lib", "/é", "bin", 6, false, null)]
    public void Rewrite_prefers_absolute_then_origin(
        string runpath, string destination, string elfDirectory, int maxLength, bool preferOrigin, string? expected)
    {
        Assert.Equal(expected, RunpathRewriter.Rewrite(runpath, Source, destination, elfDirectory, maxLength, preferOrigin));
    }

    [Theory]
    [InlineData("/opt/env/", "/opt/env/lib")]
    [InlineData("/opt/env", "/opt/env/lib/")]
    public void Trailing_slashes_on_prefixes_do_not_matter(string source, string runpath)
    {
        var expected = runpath.Replace(Source, "/srv/app", StringComparison.Ordinal);

        Assert.Equal(expected, RunpathRewriter.Rewrite(runpath, source, "/srv/app/", "bin", 100, preferOrigin: false));
    }

    [Theory]
    [InlineData("..")]
    [InlineData("lib/../..")]
    public void Elf_directory_must_stay_inside_the_prefix(string elfDirectory)
    {
        Assert.Throws<ArgumentException>(() => RunpathRewriter.Rewrite("/opt/env/lib", Source, "/s", elfDirectory, 100, preferOrigin: true));
    }
}
