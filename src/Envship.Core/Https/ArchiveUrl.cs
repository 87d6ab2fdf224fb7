using Envship.Core.Registry.Transport;

namespace Envship.Core.Https;

/// <summary>An archive named by URL: https anywhere, plain http only to this machine unless <c>--insecure</c>.</summary>
public static class ArchiveUrl
{
    public static bool IsUrl(string archive)
    {
        ArgumentNullException.ThrowIfNull(archive);
        return archive.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            || archive.StartsWith("http://", StringComparison.OrdinalIgnoreCase);
    }

    public static Uri Parse(string archive, bool insecure)
    {
        ArgumentNullException.ThrowIfNull(archive);
        if (!Uri.TryCreate(archive, UriKind.Absolute, out var url) || url.Host.Length == 0 || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            throw new EnvshipException(ExitCode.Usage, $"{archive}: not a valid http(s) URL. Pass https://HOST/PATH/env.tar.zst, or a local archive path.");
        }

        if (url.UserInfo.Length > 0)
        {
            throw new EnvshipException(ExitCode.Usage, $"{Redacted(url)}: credentials in the URL would be written to the receipt and shown by 'envship history'; nothing was fetched. Serve the archive without them.");
        }

        RemoteHttp.CheckScheme(url, new RemoteOptions { Insecure = insecure });
        return url;
    }

    private static string Redacted(Uri url) => new UriBuilder(url) { UserName = "", Password = "" }.Uri.ToString();
}
