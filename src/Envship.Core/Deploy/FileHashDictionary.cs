using System.Collections;
using System.Diagnostics.CodeAnalysis;
using Envship.Core.Archive;
using Envship.Core.Manifests;
using Envship.Core.Pack;

namespace Envship.Core.Deploy;

/// <summary>
/// The SHA-256 of each deployed file by path, held as 32 bytes: 200,000 hex strings would add about
/// 30 MB to a deploy. Reads give the hex form, as a receipt stores it.
/// </summary>
public sealed class FileHashDictionary : IReadOnlyDictionary<string, string>
{
    private readonly Dictionary<string, Sha256Digest> _hashes = new(StringComparer.Ordinal);

    public int Count => _hashes.Count;
    public IEnumerable<string> Keys => _hashes.Keys;
    public IEnumerable<string> Values => _hashes.Values.Select(h => h.ToString());

    public string this[string key] => _hashes[key].ToString();

    /// <exception cref="ArgumentException"><paramref name="sha256"/> is not 64 lowercase hex digits.</exception>
    public void Set(string path, string sha256)
    {
        if (!Sha256Digest.TryParseLowerHex(sha256, out var digest))
        {
            throw new ArgumentException($"'{sha256}' is not a SHA-256 in lowercase hex.", nameof(sha256));
        }

        _hashes[path] = digest;
    }

    internal void Set(string path, Sha256Digest digest) => _hashes[path] = digest;

    internal bool TryGetDigest(string path, out Sha256Digest digest) => _hashes.TryGetValue(path, out digest);

    /// <summary>The hashes as they are held, for writing them out without a string each.</summary>
    internal IEnumerable<KeyValuePair<string, Sha256Digest>> Digests => _hashes;

    public bool ContainsKey(string key) => _hashes.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        var found = _hashes.TryGetValue(key, out var digest);
        value = found ? digest.ToString() : null;
        return found;
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() =>
        _hashes.Select(pair => KeyValuePair.Create(pair.Key, pair.Value.ToString())).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
