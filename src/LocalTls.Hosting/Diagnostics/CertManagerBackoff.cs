namespace LocalTls.Diagnostics;

/// <summary>
/// When cert-manager tries a failed issuance again by itself (its certificates-trigger controller): 1 h·2^(n-1) after
/// <c>status.lastFailureTime</c> for n = <c>status.failedIssuanceAttempts</c>, never less than 1 h, and 32 h once n
/// passes 6; 1 h when the count is absent (a failure recorded before cert-manager counted them).
/// </summary>
internal static class CertManagerBackoff
{
    public static readonly TimeSpan Initial = TimeSpan.FromHours(1);
    public static readonly TimeSpan Maximum = TimeSpan.FromHours(32);
    private const int StopIncreasing = 6;

    public static TimeSpan Delay(int? failedIssuanceAttempts)
    {
        if (failedIssuanceAttempts is not { } n)
        {
            return Initial;
        }

        if (n > StopIncreasing)
        {
            return Maximum;
        }

        var delay = n < 1 ? Initial : Initial * Math.Pow(2, n - 1);
        return delay < Initial ? Initial : delay;
    }

    public static DateTimeOffset NextAttempt(DateTimeOffset lastFailureTime, int? failedIssuanceAttempts) => lastFailureTime + Delay(failedIssuanceAttempts);
}
