using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LocalTls.Tests.TestSupport;
using TempDirectory = LocalTls.Tests.TestSupport.TempDirectory;

namespace LocalTls.Tests.Dashboard;

/// <summary>How values read on the dashboard: serials as openssl prints them, times as durations.</summary>
public class DashboardFormTests
{
    private static X509Certificate2 WithSerial(byte[] serial)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=serial test", key, HashAlgorithmName.SHA256);
        var now = DateTimeOffset.UtcNow;
        var issuerRequest = new CertificateRequest("CN=serial test issuer", key, HashAlgorithmName.SHA256);
        issuerRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var self = issuerRequest.CreateSelfSigned(now.AddMinutes(-1), now.AddHours(1));
        return request.Create(self, now.AddMinutes(-1), now.AddMinutes(30), serial);
    }

    private static async Task<string> OpenSslSerialAsync(X509Certificate2 certificate, CancellationToken ct)
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("leaf.pem");
        await File.WriteAllTextAsync(path, certificate.ExportCertificatePem(), ct);
        var result = await Tool.RunAsync(Tool.Require("openssl", "openssl"), ["x509", "-noout", "-serial", "-in", path]);
        Assert.Equal(0, result.ExitCode);
        return result.Stdout.Trim().Split('=', 2)[1];
    }

    [Fact]
    public async Task A_serial_with_the_high_bit_set_reads_as_openssl_prints_it_without_the_leading_00()
    {
        var ct = TestContext.Current.CancellationToken;
        // DER needs the 00 so the integer stays positive; .NET's SerialNumber keeps it, openssl does not print it.
        using var high = WithSerial([0x00, 0x9C, 0x1F, 0x0A, 0xB3, 0x44, 0x00, 0x7E, 0xD2]);
        Assert.StartsWith("00", high.SerialNumber);
        Assert.Equal("9C1F0AB344007ED2", CertificateSerial.OpenSslForm(high));
        Assert.Equal(await OpenSslSerialAsync(high, ct), CertificateSerial.OpenSslForm(high));

        // Without the high bit nothing is stripped, and lower-case never appears.
        using var low = WithSerial([0x1A, 0xBC, 0x00, 0xEF]);
        Assert.Equal(await OpenSslSerialAsync(low, ct), CertificateSerial.OpenSslForm(low));
        Assert.Equal("1ABC00EF", CertificateSerial.OpenSslForm(low));
    }

    [Fact]
    public void Times_read_as_durations_from_now_with_the_UTC_time_beside()
    {
        var now = new DateTime(2026, 12, 2, 5, 0, 0, DateTimeKind.Utc);
        Assert.Equal("in 15 h 59 min (2026-12-02 20:59 UTC)", RelativeTime.Describe(now.AddHours(15).AddMinutes(59).AddSeconds(30), now));
        Assert.Equal("2 d 3 h ago (2026-11-30 02:00 UTC)", RelativeTime.Describe(now.AddDays(-2).AddHours(-3), now));
        Assert.Equal("in 4 min (2026-12-02 05:04 UTC)", RelativeTime.Describe(now.AddMinutes(4).AddSeconds(10), now));
        Assert.Equal("in 1 d (2026-12-03 05:00 UTC)", RelativeTime.Describe(now.AddDays(1), now));
        Assert.Equal("in 8 h (2026-12-02 13:00 UTC)", RelativeTime.Describe(now.AddHours(8), now));
        Assert.Equal("under a minute", RelativeTime.Duration(TimeSpan.FromSeconds(59)));
    }

    [Fact]
    public void Issuance_failures_read_as_a_count_and_cert_managers_next_retry()
    {
        var now = new DateTime(2026, 12, 2, 6, 0, 0, DateTimeKind.Utc);
        // cert-manager backs off 1 h·2^(n-1) after the last failure: 4 h for the third.
        Assert.Equal("3 failures, next retry in 3 h 59 min (2026-12-02 09:59 UTC)", CertificateTimes.Failures(3, now.AddMinutes(-1), now));
        Assert.Equal("1 failure, next retry in 30 min (2026-12-02 06:30 UTC)", CertificateTimes.Failures(1, now.AddMinutes(-30), now));
        Assert.Equal("2 failures, retry due now", CertificateTimes.Failures(2, now.AddHours(-3), now));
        Assert.Null(CertificateTimes.Failures(null, null, now));
        Assert.Null(CertificateTimes.Failures(0, null, now));
    }
}
