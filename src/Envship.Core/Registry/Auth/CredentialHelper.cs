using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Envship.Core.Registry.Auth;

/// <summary>
/// docker's credential helper protocol: <c>docker-credential-NAME get|store|erase</c>, the server on stdin (or a JSON
/// credential for <c>store</c>), JSON <c>{ServerURL, Username, Secret}</c> on stdout. A user name <c>&lt;token&gt;</c>
/// means the secret is an identity token.
/// </summary>
public static class CredentialHelper
{
    private const string TokenUser = "<token>";

    public static string ProgramName(string helper) => "docker-credential-" + helper;

    /// <summary>The helper's credential for <paramref name="registry"/>, or null when it has none.</summary>
    public static async Task<RegistryCredential?> GetAsync(string helper, string registry, CancellationToken cancellationToken)
    {
        var (exitCode, output, error) = await RunAsync(helper, "get", registry, cancellationToken).ConfigureAwait(false);
        if (exitCode != 0)
        {
            if ((output + error).Contains("credentials not found", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            throw new EnvshipException(ExitCode.RegistryAuth,
                $"{ProgramName(helper)} get failed for {registry} (exit {exitCode}: {Trim(error.Length > 0 ? error : output)}): fix the helper, or run 'envship login {registry} -u USER --password-stdin'.");
        }

        HelperCredential? answer;
        try
        {
            answer = JsonSerializer.Deserialize(output, HelperJsonContext.Default.HelperCredential);
        }
        catch (JsonException ex)
        {
            throw new EnvshipException(ExitCode.RegistryAuth, $"{ProgramName(helper)} get answered something that is not a credential ({ex.Message}) for {registry}.", ex);
        }

        if (answer is null || string.IsNullOrEmpty(answer.Secret))
        {
            return null;
        }

        var source = ProgramName(helper);
        return answer.Username == TokenUser
            ? new RegistryCredential(null, null, answer.Secret, source)
            : new RegistryCredential(answer.Username, answer.Secret, null, source);
    }

    public static async Task StoreAsync(string helper, string registry, string username, string secret, CancellationToken cancellationToken)
    {
        var input = JsonSerializer.Serialize(new HelperCredential { ServerURL = registry, Username = username, Secret = secret }, HelperJsonContext.Default.HelperCredential);
        var (exitCode, output, error) = await RunAsync(helper, "store", input, cancellationToken).ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new EnvshipException(ExitCode.RegistryAuth, $"{ProgramName(helper)} store failed for {registry} (exit {exitCode}: {Trim(error.Length > 0 ? error : output)}): fix the helper, or remove credsStore/credHelpers from the docker config.");
        }
    }

    /// <summary>Erases the helper's credential; false when it had none.</summary>
    public static async Task<bool> EraseAsync(string helper, string registry, CancellationToken cancellationToken)
    {
        var (exitCode, output, error) = await RunAsync(helper, "erase", registry, cancellationToken).ConfigureAwait(false);
        if (exitCode == 0)
        {
            return true;
        }

        if ((output + error).Contains("not found", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        throw new EnvshipException(ExitCode.RegistryAuth, $"{ProgramName(helper)} erase failed for {registry} (exit {exitCode}: {Trim(error.Length > 0 ? error : output)}).");
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string helper, string verb, string input, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(ProgramName(helper))
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add(verb);
        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new Win32Exception("not started");
        }
        catch (Win32Exception ex)
        {
            throw new EnvshipException(ExitCode.RegistryAuth,
                $"the docker config names the credential helper '{helper}', but {ProgramName(helper)} cannot be run ({ex.Message}): install it on PATH, or remove it from credsStore/credHelpers.", ex);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.StandardInput.WriteAsync(input).ConfigureAwait(false);
            process.StandardInput.Close();
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
        }
    }

    private static string Trim(string text)
    {
        text = text.Trim().ReplaceLineEndings(" ");
        return text.Length > 200 ? text[..200] + "…" : text;
    }
}

internal sealed record HelperCredential
{
    public string? ServerURL { get; init; }
    public string? Username { get; init; }
    public string? Secret { get; init; }
}

[JsonSerializable(typeof(HelperCredential))]
internal sealed partial class HelperJsonContext : JsonSerializerContext;
