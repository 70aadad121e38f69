using System.Globalization;
using System.Numerics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace LocalTls.StepCa;

/// <summary>
/// step-ca's request log condensed to what a person reads: <c>POST /acme/acme/new-order 201 4.6ms</c>, the certificate
/// it issued, and an error in full. Its own lines are logfmt with every ACME response and certificate in base64
/// inline; they stay complete in the process's console log.
/// </summary>
internal static class StepCaRequestLog
{
    /// <summary>The condensed line and its level, or <see langword="null"/> for a line not worth repeating (a healthy <c>/health</c>, badger's housekeeping).</summary>
    public static (LogLevel Level, string Text)? Condense(string line)
    {
        var text = WithoutTimestamp(line.Trim());
        if (text.Length == 0 || text.StartsWith("badger ", StringComparison.Ordinal))
        {
            return null;
        }

        if (!text.StartsWith("time=", StringComparison.Ordinal))
        {
            // Start-up lines ("Serving HTTPS on ...") are short already; drop Go's date prefix.
            return (LogLevel.Information, StripGoDate(text));
        }

        var fields = Parse(text);
        var level = fields.GetValueOrDefault("level");
        var status = int.TryParse(fields.GetValueOrDefault("status"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 0;
        var error = fields.GetValueOrDefault("error");
        // The status decides where there is one: step-ca logs a client's mistake (4xx) at level=error too.
        var logLevel = status >= 500 ? LogLevel.Error
            : status >= 400 ? LogLevel.Warning
            : status > 0 ? LogLevel.Information
            : level is "error" or "fatal" or "panic" ? LogLevel.Error
            : level is "warning" || error is { Length: > 0 } ? LogLevel.Warning
            : LogLevel.Information;
        var path = fields.GetValueOrDefault("path");
        if (path == "/health" && logLevel == LogLevel.Information)
        {
            return null;
        }

        var result = new StringBuilder();
        if (fields.GetValueOrDefault("method") is { Length: > 0 } method && path is not null)
        {
            result.Append(method).Append(' ').Append(path).Append(' ').Append(status == 0 ? "-" : status.ToString(CultureInfo.InvariantCulture));
            if (fields.GetValueOrDefault("duration") is { Length: > 0 } duration)
            {
                result.Append(' ').Append(duration);
            }
        }
        else
        {
            result.Append(fields.GetValueOrDefault("msg") ?? text);
        }

        if (fields.GetValueOrDefault("subject") is { Length: > 0 } subject && fields.GetValueOrDefault("serial") is { Length: > 0 } serial)
        {
            result.Append(": issued ").Append(subject).Append(", serial ").Append(OpenSslSerial(serial));
            if (fields.GetValueOrDefault("valid-to") is { Length: > 0 } validTo)
            {
                result.Append(", valid to ").Append(validTo);
            }
        }

        if (error is { Length: > 0 })
        {
            result.Append(": ").Append(error);
        }

        return (logLevel, result.ToString());
    }

    /// <summary>step-ca logs serials in decimal; the dashboard shows them as openssl prints them.</summary>
    private static string OpenSslSerial(string value) =>
        BigInteger.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
            ? Convert.ToHexString(number.ToByteArray(isUnsigned: true, isBigEndian: true))
            : value;

    // Aspire's console log lines may carry their own ISO timestamp first.
    private static string WithoutTimestamp(string line)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 && DateTime.TryParse(line[..space], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _) ? line[(space + 1)..] : line;
    }

    private static string StripGoDate(string text) =>
        text.Length > 20 && DateTime.TryParseExact(text[..19], "yyyy/MM/dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out _) ? text[20..] : text;

    /// <summary>logfmt: <c>key=value</c> or <c>key="quoted \"value\""</c>, separated by spaces.</summary>
    internal static Dictionary<string, string> Parse(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && text[i] == ' ')
            {
                i++;
            }

            var keyStart = i;
            while (i < text.Length && text[i] is not '=' and not ' ')
            {
                i++;
            }

            var key = text[keyStart..i];
            var value = new StringBuilder();
            if (i < text.Length && text[i] == '=')
            {
                i++;
                if (i < text.Length && text[i] == '"')
                {
                    for (i++; i < text.Length && text[i] != '"'; i++)
                    {
                        if (text[i] == '\\' && i + 1 < text.Length)
                        {
                            i++;
                        }

                        value.Append(text[i]);
                    }

                    i++;
                }
                else
                {
                    for (; i < text.Length && text[i] != ' '; i++)
                    {
                        value.Append(text[i]);
                    }
                }
            }

            if (key.Length > 0)
            {
                fields[key] = value.ToString();
            }
        }

        return fields;
    }
}
