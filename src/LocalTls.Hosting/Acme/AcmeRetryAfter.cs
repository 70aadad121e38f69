using System.Globalization;

namespace LocalTls.Acme;

/// <summary>Reads the HTTP <c>Retry-After</c> header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.</summary>
internal static class AcmeRetryAfter
{
    private static readonly string[] HttpDateFormats =
    [
        "r", // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        "dddd, dd-MMM-yy HH:mm:ss 'GMT'", // obsolete RFC 850
        "ddd MMM d HH:mm:ss yyyy", // obsolete asctime
        "ddd MMM dd HH:mm:ss yyyy",
    ];

    /// <summary>How long to wait: the seconds given, or the time until the date given (zero for a date in the past).</summary>
    /// <param name="value">The header's value, e.g. <c>3</c> or <c>Wed, 21 Oct 2015 07:28:00 GMT</c>.</param>
    /// <param name="now">The current time, for a date.</param>
    /// <returns>The delay, or <see langword="null"/> when the value is missing or unreadable.</returns>
    public static TimeSpan? Parse(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var text = value.Trim();
        if (text.All(char.IsAsciiDigit))
        {
            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                ? TimeSpan.FromSeconds(Math.Min(seconds, (long)TimeSpan.FromDays(1).TotalSeconds))
                : TimeSpan.FromDays(1);
        }

        if (DateTimeOffset.TryParseExact(text, HttpDateFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var date))
        {
            var delay = date - now;
            return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
        }

        return null;
    }
}
