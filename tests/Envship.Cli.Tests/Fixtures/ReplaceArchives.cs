using Envship.Testing;

namespace Envship.Cli.Tests.Fixtures;

/// <summary>
/// Minimal prefixes (conda-meta, bin/ and a few hundred files naming the prefix) packed as two differing
/// archives A and B, fast enough to deploy hundreds of times, plus a much bigger one that holds a lock for seconds.
/// </summary>
public sealed class ReplaceArchives : IDisposable
{
    private const int SmallFiles = 200;
    private const int BigFiles = 5000;
    private readonly Lazy<string> _big;

    public ReplaceArchives()
    {
        Work = new TempDirectory("envship-replace-");
        var prefix = Build("tiny-env", SmallFiles, seed: 1);
        A = Pack(prefix, "a.tar.zst");
        File.WriteAllText(Path.Combine(prefix, "share", "only-in-b.txt"), "B\n");
        File.AppendAllText(Path.Combine(prefix, "share", "f0.txt"), "changed in B\n");
        B = Pack(prefix, "b.tar.zst");
        _big = new Lazy<string>(() => Pack(Build("big-env", BigFiles, seed: 2), "big.tar.zst"));
    }

    public TempDirectory Work { get; }
    public string A { get; }
    public string B { get; }
    /// <summary>Built on first use: only the lock tests need it.</summary>
    public string Big => _big.Value;

    public void Dispose() => Work.Dispose();

    private string Build(string name, int files, int seed)
    {
        var prefix = Work.CreateDirectory(name);
        Work.WriteFile($"{name}/conda-meta/history", "==> 2024-01-01 00:00:00 <==\n");
        Work.WriteFile($"{name}/bin/tool", $"#!{prefix}/bin/sh\necho tool\n");
        var random = new Random(seed);
        var noise = new byte[2048];
        for (var i = 0; i < files; i++)
        {
            random.NextBytes(noise);
            Work.WriteFile($"{name}/share/f{i}.txt", $"prefix={prefix}\n{Convert.ToBase64String(noise)}\n");
        }

        return prefix;
    }

    private string Pack(string prefix, string name)
    {
        var archive = Work.Combine(name);
        CliRunner.RunOk("pack", "-p", prefix, "-o", archive, "-q");
        return archive;
    }
}
