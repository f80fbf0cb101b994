using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using WasmViewAnalyzers.Engine.Flow;
using WasmViewAnalyzers.Engine.Knowledge;

namespace WasmViewAnalyzers.Engine;

/// <summary>
/// What the engine knows about one finding, for the code fix that repairs it: the operations
/// themselves (where the view was obtained, what invalidated it, what it is handed to) and typed
/// facts about them. Found by the fix from the cached analysis of the finding's member
/// (<see cref="CompilationViewAnalysis.FindFinding"/>); what only a fix needs is computed when the
/// fix asks, never for every diagnostic.
/// </summary>
internal sealed class FindingFacts
{
    public FindingFacts(string ruleId, IOperation location, IOperation subject, string viewName, ViewValue view, ViewKind kind, AcquisitionKind acquisitionKind, ViewEscape? escape = null, ArchiveHandoff? handoff = null)
    {
        RuleId = ruleId;
        Location = location;
        Subject = subject;
        ViewName = viewName;
        View = view;
        Kind = kind;
        AcquisitionKind = acquisitionKind;
        Escape = escape;
        Handoff = handoff;
    }

    public string RuleId { get; }

    /// <summary>Where the diagnostic is: the stale use, the store or call the view escapes through, the hand-off.</summary>
    public IOperation Location { get; }

    /// <summary>The value the finding is about: the variable read stale, the value that escapes, the value handed over.</summary>
    public IOperation Subject { get; }

    public string ViewName { get; }

    public ViewValue View { get; }

    public ViewOrigin Origin => View.Origin;

    /// <summary>The operation that obtained the view: a <c>GetSpan</c> call, an <c>out</c> argument, a helper's call.</summary>
    public IOperation Acquisition => View.Origin.Acquisition;

    public AcquisitionKind AcquisitionKind { get; }

    /// <summary>What <see cref="Subject"/> is.</summary>
    public ViewKind Kind { get; }

    /// <summary>The guest call (or suspension) after which the view may be stale, when it may be.</summary>
    public GuestCall? InvalidatedBy => View.StaleBy;

    /// <summary>For WVA002: how the view leaves the method.</summary>
    public ViewEscape? Escape { get; }

    /// <summary>For WVA003 and WVA004: the hand-off to the writer.</summary>
    public ArchiveHandoff? Handoff { get; }
}

/// <summary>
/// The facts every diagnostic of WVA001-WVA004 carries in <see cref="Diagnostic.Properties"/>,
/// where a string says enough: which view (the name the message uses), what kind of view, how it
/// was obtained. A fix reads them to know at once which of its strategies can apply.
/// </summary>
internal static class FindingProperties
{
    public const string View = "View";
    public const string Kind = "ViewKind";
    public const string Source = "Source";

    public static ImmutableDictionary<string, string?> Create(string viewName, ViewKind kind, AcquisitionKind source)
        => ImmutableDictionary<string, string?>.Empty
            .Add(View, viewName)
            .Add(Kind, kind.ToString())
            .Add(Source, source.ToString());

    public static ViewKind KindOf(Diagnostic diagnostic)
        => diagnostic.Properties.TryGetValue(Kind, out var kind) && System.Enum.TryParse<ViewKind>(kind, out var parsed) ? parsed : ViewKind.Unknown;

    public static AcquisitionKind SourceOf(Diagnostic diagnostic)
        => diagnostic.Properties.TryGetValue(Source, out var source) && System.Enum.TryParse<AcquisitionKind>(source, out var parsed) ? parsed : AcquisitionKind.Other;
}

/// <summary>Classifies views and their sources by symbol, for <see cref="FindingFacts"/> and <see cref="FindingProperties"/>.</summary>
internal static class ViewKinds
{
    /// <summary>What the value of <paramref name="subject"/> is, given that it carries <paramref name="view"/>.</summary>
    public static ViewKind Of(IOperation subject, ViewValue view, WasmSymbols symbols)
    {
        var operation = subject.WalkDownConversions();
        if (operation is ILocalReferenceOperation { Local.IsRef: true } or IParameterReferenceOperation { Parameter.RefKind: not RefKind.None }
            || operation is IInvocationOperation { TargetMethod.ReturnsByRef: true } or IInvocationOperation { TargetMethod.ReturnsByRefReadonly: true })
        {
            return ViewKind.Ref;
        }

        return OfType(subject.Type ?? operation.Type, view.IsAddress, symbols);
    }

    public static ViewKind OfType(ITypeSymbol? type, bool isAddress, WasmSymbols symbols)
    {
        if (type is null)
        {
            return ViewKind.Unknown;
        }

        if (type.TypeKind is TypeKind.Pointer)
        {
            return ViewKind.Pointer;
        }

        if (type.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr || (isAddress && type.SpecialType is SpecialType.System_Int64 or SpecialType.System_UInt64))
        {
            return ViewKind.Address;
        }

        if (symbols.IsSpan(type))
        {
            return ViewKind.Span;
        }

        if (symbols.IsSpanLike(type))
        {
            return ViewKind.ReadOnlySpan;
        }

        if (symbols.IsWritableView(type))
        {
            return ViewKind.Memory;
        }

        if (symbols.IsMemoryLike(type))
        {
            return ViewKind.ReadOnlyMemory;
        }

        if (symbols.DerivesFrom(type, symbols.Stream))
        {
            return ViewKind.Stream;
        }

        if (symbols.DerivesFrom(type, symbols.MemoryManager))
        {
            return ViewKind.Manager;
        }

        if (type.TypeKind == TypeKind.Array || (type.SpecialType != SpecialType.System_String && IsEnumerable(type, symbols)))
        {
            return ViewKind.Collection;
        }

        return ViewKind.Holder;
    }

    /// <summary>How <paramref name="origin"/> obtained its view.</summary>
    public static AcquisitionKind SourceOf(ViewOrigin origin, WasmSymbols symbols)
    {
        switch (origin.Acquisition)
        {
            case IInvocationOperation invocation when symbols.IsWasmtimeType(invocation.TargetMethod.ContainingType, symbols.Memory):
                return invocation.TargetMethod.Name == "GetPointer" ? AcquisitionKind.GetPointer : AcquisitionKind.GetSpan;
            case IInvocationOperation invocation:
                return IsInSource(invocation.TargetMethod, symbols) ? AcquisitionKind.Helper : AcquisitionKind.Declared;
            case IPropertyReferenceOperation property:
                return IsInSource(property.Property, symbols) && property.Property.GetMethod is not null ? AcquisitionKind.Helper : AcquisitionKind.Declared;
            case IArgumentOperation { Parent: IInvocationOperation call }:
                if (symbols.IsWasmtimeType(call.TargetMethod.ContainingType, symbols.Caller))
                {
                    return AcquisitionKind.TryGetMemorySpan;
                }

                return IsInSource(call.TargetMethod, symbols) ? AcquisitionKind.Helper : AcquisitionKind.Declared;
            default:
                return AcquisitionKind.Other;
        }
    }

    private static bool IsInSource(ISymbol symbol, WasmSymbols symbols)
        => symbol.Locations.Length > 0 && symbol.Locations[0].SourceTree is { } tree && symbols.Compilation.ContainsSyntaxTree(tree);

    private static bool IsEnumerable(ITypeSymbol type, WasmSymbols symbols)
    {
        if (symbols.IsEnumerableOrEnumerator(type))
        {
            return true;
        }

        foreach (var @interface in type.AllInterfaces)
        {
            if (symbols.IsEnumerableOrEnumerator(@interface))
            {
                return true;
            }
        }

        return false;
    }
}
