using System.Text;

namespace Envship.Testing;

/// <summary>Writes <c>conda-meta/history</c> the way conda records one transaction.</summary>
internal static class CondaHistory
{
    public const string Timestamp = "2026-01-01 00:00:00";
    public const string CondaVersion = "25.1.1";

    public static void Write(string prefix, string condaExecutable, IEnumerable<string> historySpecs, IReadOnlyList<string> requestedSpecs)
    {
        var text = new StringBuilder();
        text.Append("==> ").Append(Timestamp).Append(" <==\n");
        text.Append("# cmd: ").Append(condaExecutable).Append(" create --yes --prefix ").Append(prefix);
        foreach (var spec in requestedSpecs)
            text.Append(' ').Append(spec);
        text.Append('\n');
        text.Append("# conda version: ").Append(CondaVersion).Append('\n');
        foreach (var spec in historySpecs.Order(StringComparer.Ordinal))
            text.Append('+').Append(spec).Append('\n');
        text.Append("# update specs: [")
            .AppendJoin(", ", requestedSpecs.Select(s => $"'{s}'"))
            .Append("]\n");
        var path = Path.Combine(prefix, "conda-meta", "history");
        FileOps.EnsureParent(path);
        File.WriteAllText(path, text.ToString());
    }
}
