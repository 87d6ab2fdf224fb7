namespace Envship.Core.Exports;

/// <summary>Orders packages so that each comes after what it depends on, as <c>conda list --explicit</c> does.</summary>
public static class DependencyOrder
{
    /// <summary>Kahn's algorithm over <c>depends</c> names; ties and cycles are broken by name so the order is stable.</summary>
    public static IReadOnlyList<ExportPackage> Sort(IReadOnlyList<ExportPackage> packages)
    {
        ArgumentNullException.ThrowIfNull(packages);
        var byName = packages.GroupBy(p => p.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var pending = byName.Keys.ToDictionary(
            name => name,
            name => DependencyNames(byName[name]).Where(d => d != name && byName.ContainsKey(d)).ToHashSet(StringComparer.Ordinal),
            StringComparer.Ordinal);
        var result = new List<ExportPackage>(byName.Count);
        var remaining = new SortedSet<string>(byName.Keys, StringComparer.Ordinal);
        while (remaining.Count > 0)
        {
            var ready = remaining.FirstOrDefault(n => pending[n].Count == 0) ?? remaining.Min!;
            remaining.Remove(ready);
            result.Add(byName[ready]);
            foreach (var name in remaining)
            {
                pending[name].Remove(ready);
            }
        }

        return result;
    }

    /// <summary>The package names a record's <c>depends</c> specs name (<c>"libzlib &gt;=1.3"</c> gives <c>libzlib</c>).</summary>
    public static IEnumerable<string> DependencyNames(ExportPackage package)
    {
        ArgumentNullException.ThrowIfNull(package);
        return package.Depends.Select(SpecName).Where(n => n.Length > 0).Distinct(StringComparer.Ordinal);
    }

    /// <summary>The name part of a match spec: after any <c>channel::</c>, up to the first version or bracket character.</summary>
    public static string SpecName(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var text = spec.Trim();
        var channel = text.LastIndexOf("::", StringComparison.Ordinal);
        if (channel >= 0)
        {
            text = text[(channel + 2)..];
        }

        var end = text.IndexOfAny([' ', '=', '<', '>', '!', '~', '[', '*', ',', '|']);
        return end < 0 ? text : text[..end];
    }
}
