using System.Globalization;

namespace LocalTls;

/// <summary>Times as a person reads them on the dashboard: "in 15 h 59 min", "2 d 3 h ago", with the UTC time beside.</summary>
internal static class RelativeTime
{
    /// <summary>"in 15 h 59 min (2026-12-03 05:40 UTC)" or "2 d 3 h ago (…)".</summary>
    public static string Describe(DateTime at, DateTime now)
    {
        var utc = at.ToUniversalTime();
        var span = utc - now.ToUniversalTime();
        var text = span >= TimeSpan.Zero ? $"in {Duration(span)}" : $"{Duration(-span)} ago";
        return $"{text} ({utc.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC)";
    }

    /// <summary>The two largest units, rounded down: "2 d 3 h", "15 h 59 min", "4 min", "under a minute".</summary>
    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.FromMinutes(1))
        {
            return "under a minute";
        }

        return span.TotalDays >= 1
            ? Join(span.Days, "d", span.Hours, "h")
            : span.TotalHours >= 1 ? Join(span.Hours, "h", span.Minutes, "min") : $"{span.Minutes} min";
    }

    private static string Join(int big, string bigUnit, int small, string smallUnit) =>
        small == 0 ? $"{big} {bigUnit}" : $"{big} {bigUnit} {small} {smallUnit}";
}
