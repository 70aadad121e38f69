using LocalTls.Pki;
using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.Pki;

/// <summary>The root's name constraints, checked by a real verifier (openssl) and by our own matcher.</summary>
public class NameConstraintTests
{
    private static async Task<Tool.Result> OpenSslVerifyAsync(CaMaterial ca, string name)
    {
        var openssl = Tool.Require("openssl", "openssl");
        using var dir = new TempDirectory();
        var (leaf, _) = CaGenerator.IssueLeaf(ca, [name], TimeSpan.FromHours(1));
        File.WriteAllText(dir.Combine("root.pem"), ca.RootCertificatePem);
        File.WriteAllText(dir.Combine("intermediate.pem"), ca.IntermediateCertificatePem);
        File.WriteAllText(dir.Combine("leaf.pem"), Pem.EncodeCertificate(leaf));
        return await Tool.RunAsync(openssl, ["verify", "-CAfile", dir.Combine("root.pem"), "-untrusted", dir.Combine("intermediate.pem"), dir.Combine("leaf.pem")]);
    }

    [Theory]
    [InlineData("app.127.0.0.1.sslip.io")]
    [InlineData("app.192.168.5.2.nip.io")]
    [InlineData("localhost")]
    [InlineData("web.test")]
    [InlineData("step-ca.step-ca.svc.cluster.local")]
    [InlineData("127.0.0.1")]
    [InlineData("192.168.5.2")]
    [InlineData("::1")]
    public async Task A_leaf_for_a_local_name_verifies_against_the_root(string name)
    {
        var ca = CaGenerator.Create();
        var result = await OpenSslVerifyAsync(ca, name);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains(": OK", result.Stdout);
        Assert.True(ca.Permits(name));
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("www.google.com")]
    [InlineData("sslip.io.evil.com")]
    [InlineData("8.8.8.8")]
    public async Task A_leaf_for_a_public_name_fails_verification(string name)
    {
        var ca = CaGenerator.Create();
        var result = await OpenSslVerifyAsync(ca, name);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("subtree violation", result.Output);
        Assert.False(ca.Permits(name));
    }

    [Fact]
    public async Task Without_name_constraints_a_public_name_verifies_which_shows_the_constraint_is_what_fails()
    {
        var ca = CaGenerator.Create(new CaOptions { NameConstraints = false });
        Assert.Null(ca.NameConstraints);
        var result = await OpenSslVerifyAsync(ca, "example.com");
        Assert.True(result.ExitCode == 0, result.Output);
    }

    [Fact]
    public async Task The_permitted_list_is_configurable()
    {
        var ca = CaGenerator.Create(new CaOptions { PermittedDnsDomains = ["corp.example"], PermittedIpRanges = ["203.0.113.0/24"] });
        Assert.Equal(["corp.example"], ca.NameConstraints!.DnsDomains);
        Assert.Equal("203.0.113.0/24", Assert.Single(ca.NameConstraints.IpRanges).ToString());
        Assert.Equal(0, (await OpenSslVerifyAsync(ca, "api.corp.example")).ExitCode);
        Assert.NotEqual(0, (await OpenSslVerifyAsync(ca, "app.127.0.0.1.sslip.io")).ExitCode);
    }

    [Fact]
    public void Constraints_read_back_from_the_certificate_equal_the_options()
    {
        var ca = CaGenerator.Create();
        Assert.Equal(CaOptions.DefaultPermittedDnsDomains, ca.NameConstraints!.DnsDomains);
        Assert.Equal(CaOptions.DefaultPermittedIpRanges, ca.NameConstraints.IpRanges.Select(r => r.ToString()));
    }

    [Theory]
    [InlineData("sslip.io", true)]
    [InlineData("*.127.0.0.1.sslip.io", true)]
    [InlineData("APP.127.0.0.1.SSLIP.IO.", true)]
    [InlineData("notsslip.io", false)]
    [InlineData("svc", true)]
    [InlineData("a.svc", true)]
    [InlineData("svc.com", false)]
    [InlineData("172.31.255.255", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("fd00::1", true)]
    [InlineData("2001:db8::1", false)]
    public void Permits_matches_rfc5280_subtree_rules(string name, bool expected)
    {
        var set = new NameConstraintSet(CaOptions.DefaultPermittedDnsDomains, CaOptions.DefaultPermittedIpRanges);
        Assert.Equal(expected, set.Permits(name));
    }
}
