using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gensyn.Edge.Tls;

/// <summary>The edge presented a certificate other than the one pinned for it: the connection was refused before anything was sent.</summary>
public sealed class CertificateMismatchException(string message) : Exception(message);

/// <summary>
/// A client's trust in edges, as SSH trusts hosts: an edge named <c>HOST:PORT#FINGERPRINT</c> must present that certificate; an edge seen
/// for the first time is trusted and its fingerprint written to <c>DATA_DIR/known-coordinators</c>; a known edge whose certificate
/// changed is refused (fail closed) with a line that says what to do.
/// </summary>
public sealed class CoordinatorTrust(string dataDirectory)
{
    public const string FileName = "known-coordinators";

    private static readonly Lock FileLock = new();

    public string KnownFile => Path.Combine(dataDirectory, FileName);

    /// <summary>Splits <c>HOST:PORT[#SHA256FP]</c> into the endpoint and the explicit pin (null when none is given).</summary>
    public static (string Endpoint, string? Pin) Parse(string coordinator)
    {
        var hash = coordinator.IndexOf('#');
        if (hash < 0) return (coordinator, null);
        var pin = coordinator[(hash + 1)..].Replace(":", "").ToLowerInvariant();
        if (pin.Length != 64 || !pin.All(Uri.IsHexDigit))
            throw new FormatException($"'{coordinator}': the pin after # must be the edge's SHA-256 fingerprint, 64 hex digits (`gensyn node` prints it)");
        return (coordinator[..hash], pin);
    }

    /// <summary>The fingerprint remembered for <paramref name="endpoint"/>, or null for an edge never seen.</summary>
    public string? Known(string endpoint)
    {
        lock (FileLock)
        {
            if (!File.Exists(KnownFile)) return null;
            foreach (var line in File.ReadAllLines(KnownFile))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2 && parts[0] == endpoint) return parts[1];
            }
            return null;
        }
    }

    private void Remember(string endpoint, string fingerprint)
    {
        lock (FileLock)
        {
            if (Known(endpoint) is not null) return;
            Directory.CreateDirectory(dataDirectory);
            File.AppendAllText(KnownFile, $"{endpoint} {fingerprint}\n");
        }
    }

    /// <summary>
    /// The TLS check for a connection to <paramref name="endpoint"/>: the explicit <paramref name="pin"/>, else the remembered fingerprint,
    /// else trust on first use. <paramref name="seen"/> receives the fingerprint the edge presented (requests sign it).
    /// </summary>
    public RemoteCertificateValidationCallback Validator(string endpoint, string? pin, Action<string> seen, Action<CertificateMismatchException> refused) =>
        (_, certificate, _, _) =>
        {
            if (certificate is null) return false;
            var fingerprint = EdgeCertificate.Fingerprint(certificate);
            var expected = pin ?? Known(endpoint);
            if (expected is null)
            {
                Remember(endpoint, fingerprint);
                seen(fingerprint);
                return true;
            }
            if (CryptographicOperations.FixedTimeEquals(Convert.FromHexString(expected), Convert.FromHexString(fingerprint)))
            {
                seen(fingerprint);
                return true;
            }
            refused(new CertificateMismatchException(pin is not null
                ? $"the coordinator at {endpoint} presented certificate {fingerprint[..16]}…, not the pinned {expected[..16]}…; check the address and the pin you gave after #"
                : $"the coordinator at {endpoint} presented certificate {fingerprint[..16]}…, not the {expected[..16]}… recorded in {KnownFile}; if its operator " +
                  $"replaced the certificate, remove that line (or pin the new one with --coordinator {endpoint}#FINGERPRINT), otherwise do not connect"));
            return false;
        };
}
