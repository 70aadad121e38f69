using System.Collections.Immutable;
using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using LocalTls.Diagnostics;

namespace LocalTls;

/// <summary>
/// A certificate's times as a person reads them, from the raw values kept for tools (the one source): "Expires" and
/// "Renews" as durations from now, and failures with cert-manager's next retry. Both targets use it, so they read alike.
/// </summary>
internal static class CertificateTimes
{
    public static ImmutableArray<ResourcePropertySnapshot> WithRelativeTimes(ImmutableArray<ResourcePropertySnapshot> properties, DateTime now)
    {
        var notAfter = Read(properties, LocalTlsProperties.NotAfter);
        var renewAt = Read(properties, LocalTlsProperties.RenewalTime);
        var attempts = properties.FirstOrDefault(p => p.Name == LocalTlsProperties.FailedIssuanceAttempts)?.Value is { } n
            && int.TryParse(Convert.ToString(n, CultureInfo.InvariantCulture), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) ? count : (int?)null;
        return properties
            .With(LocalTlsProperties.Expires, notAfter is { } a ? (a > now ? "" : "expired ") + RelativeTime.Describe(a, now) : null)
            .With(LocalTlsProperties.Renews, renewAt is { } r ? (r > now ? "" : "due ") + RelativeTime.Describe(r, now) : null)
            .With(LocalTlsProperties.Failures, Failures(attempts, Read(properties, LocalTlsProperties.LastFailureTime), now));
    }

    /// <summary>"2 failures, next retry in 3 h 59 min" by cert-manager's back-off, or <see langword="null"/> without failures.</summary>
    public static string? Failures(int? attempts, DateTime? lastFailure, DateTime now)
    {
        if (attempts is not > 0 && lastFailure is null)
        {
            return null;
        }

        var count = attempts is > 0 ? $"{attempts} failure{(attempts == 1 ? "" : "s")}" : "failed";
        if (lastFailure is not { } last)
        {
            return count;
        }

        var next = CertManagerBackoff.NextAttempt(new DateTimeOffset(DateTime.SpecifyKind(last, DateTimeKind.Utc)), attempts).UtcDateTime;
        return next > now
            ? $"{count}, next retry in {RelativeTime.Duration(next - now)} ({next.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC)"
            : $"{count}, retry due now";
    }

    private static DateTime? Read(ImmutableArray<ResourcePropertySnapshot> properties, string name) =>
        properties.FirstOrDefault(p => p.Name == name)?.Value is string text
        && DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at) ? at : null;
}
