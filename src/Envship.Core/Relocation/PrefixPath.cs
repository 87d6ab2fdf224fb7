namespace Envship.Core.Relocation;

/// <summary>Path-prefix tests shared by the relocation rules (ordinal, '/'-separated).</summary>
internal static class PrefixPath
{
    /// <summary>Drops trailing '/' so "/opt/env/" and "/opt/env" behave alike; "/" becomes "".</summary>
    public static string Normalize(string prefix) => prefix.TrimEnd('/');

    /// <summary>
    /// True when <paramref name="path"/> is <paramref name="normalizedPrefix"/> itself or lies below it;
    /// a plain StartsWith would wrongly put "/opt/env2" under "/opt/env".
    /// </summary>
    public static bool TryGetRemainder(string path, string normalizedPrefix, out string remainder)
    {
        remainder = string.Empty;
        if (!path.StartsWith(normalizedPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        if (path.Length == normalizedPrefix.Length)
        {
            return normalizedPrefix.Length > 0;
        }

        if (path[normalizedPrefix.Length] != '/')
        {
            return false;
        }

        remainder = path[normalizedPrefix.Length..];
        return true;
    }
}
