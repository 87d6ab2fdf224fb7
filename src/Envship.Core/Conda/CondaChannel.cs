namespace Envship.Core.Conda;

/// <summary>Turns the channel values found in conda-meta records into short channel names.</summary>
public static class CondaChannel
{
    private static readonly HashSet<string> _knownSubdirs = new(StringComparer.Ordinal)
    {
        "noarch", "emscripten-wasm32", "wasi-wasm32", "freebsd-64", "linux-32", "linux-64", "linux-aarch64",
        "linux-armv6l", "linux-armv7l", "linux-ppc64", "linux-ppc64le", "linux-riscv64", "linux-s390x",
        "osx-64", "osx-arm64", "win-32", "win-64", "win-arm64", "zos-z",
    };

    /// <summary>
    /// <c>https://conda.anaconda.org/conda-forge/osx-arm64</c> → <c>conda-forge</c>,
    /// <c>https://repo.anaconda.com/pkgs/main/linux-64</c> → <c>pkgs/main</c>; a value that is not a URL is returned unchanged.
    /// </summary>
    public static string? ShortName(string? channel)
    {
        if (string.IsNullOrEmpty(channel)
            || !Uri.TryCreate(channel, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https" or "file" or "s3" or "ftp"))
        {
            return channel;
        }

        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();

        // Authenticated anaconda.org URLs carry "/t/<token>/" before the channel; the token is no part of the name.
        if (segments.Count >= 2 && segments[0] == "t")
        {
            segments.RemoveRange(0, 2);
        }

        if (segments.Count > 0 && _knownSubdirs.Contains(segments[^1]))
        {
            segments.RemoveAt(segments.Count - 1);
        }

        return segments.Count == 0 ? channel : Uri.UnescapeDataString(string.Join('/', segments));
    }
}
