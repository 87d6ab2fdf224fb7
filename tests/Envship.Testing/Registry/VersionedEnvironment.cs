namespace Envship.Testing.Registry;

/// <summary>
/// An environment in two versions for push tests. v1: the real packages (zlib linux-64 build among
/// them), the file variety of <see cref="CondaPrefixBuilder"/> and a pip distribution <c>alpha</c>.
/// v2: zlib replaced by another linux-64 build (made here from v1's files, so the environment stays a
/// linux-64 one: pack labels an archive with its packages' platform), a pip distribution <c>beta</c> added,
/// and <c>etc/example.conf</c> (owned by no package) changed.
/// </summary>
public static class VersionedEnvironment
{
    public const string SitePackages = "lib/python3.12/site-packages";
    public const string ZlibV1 = "conda:zlib-1.2.11-h7b6447c_3";
    public const string ZlibV2 = "conda:zlib-1.2.11-h7b6447c_4";

    public static BuiltPrefix BuildV1(string prefix, string pkgsCache)
    {
        var built = CondaPrefixBuilder.Build(prefix, new CondaPrefixOptions { WithRealPackages = true, PkgsCacheDirectory = pkgsCache });
        AddPipDistribution(prefix, "alpha", "1.0", "print('alpha')\n");
        return built;
    }

    public static void UpgradeToV2(BuiltPrefix v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        var zlib = v1.Packages.Single(p => p.Name == "zlib");
        var rebuilt = RebuiltZlib(v1, zlib);
        foreach (var file in zlib.Files)
        {
            File.Delete(Path.Combine(v1.Prefix, file));
        }

        File.Delete(zlib.RecordPath);
        CondaPackageInstaller.Install(rebuilt, v1.Prefix, v1.PkgsCacheDirectory);
        AddPipDistribution(v1.Prefix, "beta", "2.0", "print('beta')\n");
        File.AppendAllText(Path.Combine(v1.Prefix, CondaPrefixBuilder.ExampleConf), "changed_in=v2\n");
    }

    /// <summary>
    /// The next build of v1's zlib, as conda-build would make it: the same files (one changed, so the package's
    /// bytes differ), the text placeholder kept in <c>lib/pkgconfig/zlib.pc</c>.
    /// </summary>
    private static string RebuiltZlib(BuiltPrefix v1, InstalledPackage zlib)
    {
        var work = Path.Combine(v1.PkgsCacheDirectory, "zlib-rebuild");
        var payload = Path.Combine(work, "payload");
        foreach (var file in zlib.Files)
        {
            var source = new FileInfo(Path.Combine(v1.Prefix, file));
            var target = Path.Combine(payload, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (source.LinkTarget is { } linkTarget)
                File.CreateSymbolicLink(target, linkTarget);
            else
                source.CopyTo(target);
        }

        File.AppendAllText(Path.Combine(payload, "include", "zlib.h"), "/* rebuilt: h7b6447c_4 */\n");
        // The installed files hold v1's prefix where the package had its placeholder: that prefix is the placeholder now.
        var spec = new CondaPackageSpec("zlib", "1.2.11", "h7b6447c_4") { BuildNumber = 4, Placeholder = v1.Prefix };
        return CondaPackageWriter.Write(payload, spec, Path.Combine(work, "dist"));
    }

    /// <summary>A wheel-style install: the module, and a dist-info whose RECORD lists both.</summary>
    public static void AddPipDistribution(string prefix, string name, string version, string code)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(name);
        var site = Path.Combine(prefix, SitePackages);
        var distInfo = $"{name}-{version}.dist-info";
        Directory.CreateDirectory(Path.Combine(site, name));
        Directory.CreateDirectory(Path.Combine(site, distInfo));
        File.WriteAllText(Path.Combine(site, name, "__init__.py"), code);
        File.WriteAllText(Path.Combine(site, distInfo, "METADATA"), $"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n");
        File.WriteAllText(Path.Combine(site, distInfo, "INSTALLER"), "pip\n");
        File.WriteAllText(
            Path.Combine(site, distInfo, "RECORD"),
            $"{name}/__init__.py,sha256={FileOps.Sha256Hex(Path.Combine(site, name, "__init__.py"))},{code.Length}\n{distInfo}/METADATA,,\n{distInfo}/INSTALLER,,\n{distInfo}/RECORD,,\n");
    }
}
