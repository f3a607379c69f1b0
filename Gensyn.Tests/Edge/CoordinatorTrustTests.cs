using Gensyn.Edge.Tls;

namespace Gensyn.Tests.Edge;

public class CoordinatorTrustTests
{
    [Fact]
    public void An_edge_seen_for_the_first_time_is_trusted_and_remembered_and_the_same_certificate_is_trusted_again()
    {
        using var dir = new TempDirectory();
        using var certificate = EdgeCertificate.Create();
        var trust = new CoordinatorTrust(dir.Path);
        string? seen = null;
        CertificateMismatchException? refused = null;
        var check = trust.Validator("10.0.0.1:4053", null, f => seen = f, r => refused = r);

        Assert.True(check(this, certificate, null, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.Equal(EdgeCertificate.Fingerprint(certificate), seen);
        Assert.Equal(EdgeCertificate.Fingerprint(certificate), trust.Known("10.0.0.1:4053"));
        Assert.True(new CoordinatorTrust(dir.Path).Validator("10.0.0.1:4053", null, _ => { }, r => refused = r)(this, certificate, null, default));
        Assert.Null(refused);
    }

    [Fact]
    public void A_known_edge_that_presents_another_certificate_is_refused_with_a_line_that_says_what_to_do()
    {
        using var dir = new TempDirectory();
        using var first = EdgeCertificate.Create();
        using var second = EdgeCertificate.Create();
        var trust = new CoordinatorTrust(dir.Path);
        Assert.True(trust.Validator("10.0.0.1:4053", null, _ => { }, _ => { })(this, first, null, default));

        CertificateMismatchException? refused = null;
        Assert.False(trust.Validator("10.0.0.1:4053", null, _ => { }, r => refused = r)(this, second, null, default));
        Assert.NotNull(refused);
        Assert.Contains("known-coordinators", refused!.Message);
        Assert.DoesNotContain("\n", refused.Message);
        // The remembered fingerprint is not replaced by the newcomer's.
        Assert.Equal(EdgeCertificate.Fingerprint(first), trust.Known("10.0.0.1:4053"));
    }

    [Fact]
    public void An_explicit_pin_is_enforced_even_for_an_edge_never_seen_and_nothing_is_remembered_for_a_refusal()
    {
        using var dir = new TempDirectory();
        using var pinned = EdgeCertificate.Create();
        using var other = EdgeCertificate.Create();
        var (endpoint, pin) = CoordinatorTrust.Parse($"edge.example:4053#{EdgeCertificate.Fingerprint(pinned).ToUpperInvariant()}");
        Assert.Equal("edge.example:4053", endpoint);
        var trust = new CoordinatorTrust(dir.Path);

        CertificateMismatchException? refused = null;
        Assert.False(trust.Validator(endpoint, pin, _ => { }, r => refused = r)(this, other, null, default));
        Assert.Contains("pinned", refused!.Message);
        Assert.Null(trust.Known(endpoint));
        Assert.True(trust.Validator(endpoint, pin, _ => { }, _ => { })(this, pinned, null, default));
    }

    [Theory]
    [InlineData("host:4053#abc")]
    [InlineData("host:4053#zz00000000000000000000000000000000000000000000000000000000000000")]
    public void A_pin_that_is_not_a_sha256_fingerprint_is_refused(string coordinator) =>
        Assert.Throws<FormatException>(() => CoordinatorTrust.Parse(coordinator));

    [Fact]
    public void The_edge_keeps_its_certificate_across_restarts_in_a_file_only_its_owner_can_read()
    {
        using var dir = new TempDirectory();
        var first = EdgeCertificate.LoadOrCreate(dir.Path);
        var again = EdgeCertificate.LoadOrCreate(dir.Path);
        Assert.Equal(EdgeCertificate.Fingerprint(first), EdgeCertificate.Fingerprint(again));
        Assert.True(again.HasPrivateKey);
        Assert.True(OperatingSystem.IsLinux(), "the network's processes run on Linux");
        if (OperatingSystem.IsLinux())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir.Path, "tls", EdgeCertificate.FileName)));
    }
}
