using System.Net;
using Envship.Core.Registry.Transport;

namespace Envship.Core.Https;

/// <summary>Fetches <c>URL.minisig</c> before the archive, so a missing signature is refused before the big download starts.</summary>
internal static class SignatureFetch
{
    /// <summary>A minisign signature is four short lines; anything larger is not one.</summary>
    private const int MaxBytes = 64 * 1024;

    public static void Fetch(HttpClient client, Uri archive, string path, CancellationToken cancellationToken)
    {
        var url = new Uri(archive + ".minisig");
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            using var response = client.Send(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
            {
                throw new EnvshipException(
                    ExitCode.SignatureMissing,
                    $"{url}: no signature beside the archive (HTTP {(int)response.StatusCode}), and a good one is required (--verify-key or --require-signature); nothing was downloaded or written. Publish the .minisig made by 'envship sign' next to the archive.");
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new EnvshipException(
                    (int)response.StatusCode is 401 or 403 ? ExitCode.RegistryAuth : ExitCode.RemoteUnavailable,
                    $"{url}: the server answered HTTP {(int)response.StatusCode} {response.ReasonPhrase} for the signature; nothing was written. Retry, or check that the server serves the .minisig file.");
            }

            using var body = response.Content.ReadAsStream(cancellationToken);
            var bytes = new byte[MaxBytes + 1];
            var length = body.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            if (length > MaxBytes)
            {
                throw new EnvshipException(ExitCode.BadSignature, $"{url}: more than {MaxBytes / 1024} KiB, which no minisign signature is; nothing was written. Publish the .minisig made by 'envship sign'.");
            }

            File.WriteAllBytes(path, bytes.AsSpan(0, length).ToArray());
        }
        catch (HttpRequestException ex)
        {
            throw RemoteFailure.Unreachable(url, ex);
        }
        catch (IOException ex)
        {
            throw new EnvshipException(ExitCode.RemoteUnavailable, $"{url}: the transfer of the signature dropped ({ex.Message}); retry. Nothing was written.", ex);
        }
    }
}
