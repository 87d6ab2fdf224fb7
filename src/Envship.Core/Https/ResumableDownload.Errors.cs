using System.Net;

namespace Envship.Core.Https;

internal sealed partial class ResumableDownload
{
    /// <summary>A status that ends the download; 5xx and 429 are thrown as transient instead, to be retried.</summary>
    private Exception Refused(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        var what = $"HTTP {status} {response.ReasonPhrase}".TrimEnd();
        return response.StatusCode switch
        {
            HttpStatusCode.NotFound or HttpStatusCode.Gone => new EnvshipException(
                ExitCode.RemoteNotFound,
                $"{url}: the server has no such file ({what}). Check the URL; nothing was written."),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new EnvshipException(
                ExitCode.RegistryAuth,
                $"{url}: the server refused the download ({what}); envship sends no credentials to plain URLs. Serve the archive without authentication, or publish it to a registry and deploy from oci://; nothing was written."),
            HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError => new HttpRequestException($"the server answered {what}", null, response.StatusCode),
            _ => new EnvshipException(
                ExitCode.RemoteUnavailable,
                $"{url}: unexpected answer {what} to a download. Check the URL (it must name the archive file itself); nothing was written."),
        };
    }

    private EnvshipException Dropped(long have, long? total, Exception? lastFailure)
    {
        var size = total is { } length ? $"{have:N0} of {length:N0} bytes" : $"{have:N0} bytes";
        var cause = lastFailure is null ? "the server never sent a usable range" : lastFailure.GetBaseException().Message;
        return new EnvshipException(
            ExitCode.RemoteUnavailable,
            $"{url}: the download failed {MaxFailuresWithoutProgress} times in a row without progress ({cause}); {size} are kept in '{partPath}', and running the same command again resumes from there. Nothing was written to the destination.",
            lastFailure);
    }
}
