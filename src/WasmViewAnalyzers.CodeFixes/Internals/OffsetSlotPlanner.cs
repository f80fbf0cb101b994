using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using WasmViewAnalyzers.Engine;
using WasmViewAnalyzers.Engine.Knowledge;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace WasmViewAnalyzers.CodeFixes.Internals;

/// <summary>
/// A raw pointer or address kept in a field or auto-property, or in a collection one holds (a list, a
/// queue of tuples, an array, a dictionary's values), of this type or another of the user's
/// (<c>peer.LastSnapshot = p</c>): the slot keeps the guest offset instead (<c>_lastFrame = address</c>,
/// <c>_uploads.Enqueue((address, length))</c>), its type becomes the offset's, and where the slot is
/// read the pointer is obtained again from the same memory (<c>(byte*)(_memory.GetPointer() + _lastFrame)</c>),
/// as is each element taken out of a collection slot (<c>_replay.Pop()</c>, <c>foreach</c>). The slot
/// may be a record's positional member or one an object initializer sets, and the pointer may reach
/// it through the user's own helpers (<c>Track(p)</c> hands it on to a store), whose parameters
/// then carry the offset. Every store into the slot must be a pointer into that memory plus an
/// offset, or the slot keeps its type and no fix is offered.
/// </summary>
/// <remarks>
/// Refused for a slot another assembly may read (its readers would still expect a pointer: a public
/// member of a library, or of an application another project references) or one
/// named in another document, where the pointer stored cannot be taken apart
/// (<c>memory.GetPointer() + offset</c>, or a local holding it), where a read of the slot is a
/// comparison (an offset of 0 is no null pointer), where a read cannot reach the memory or may be of
/// another object over another memory, and where a collection's element is taken out in a way that
/// cannot be rewritten (<c>TryDequeue(out p)</c>, <c>FirstOrDefault()</c>, a deconstruction). The
/// result must compile.
/// </remarks>
internal static partial class OffsetSlotPlanner
{
    public static IReadOnlyList<FixEdit>? Plan(FindingContext finding)
        => StoredSlot(finding) is { } slot && IsHiddenFromOtherAssemblies(slot, finding.Document.Project) ? PlanSlot(finding, slot) : null;

    /// <summary>
    /// The same change for a member other assemblies may see (a public field of a public type): a
    /// pointer into guest memory kept there is the bug for every reader, so its type may change where
    /// every reference to it is in this document (no project of the solution references this one).
    /// </summary>
    public static IReadOnlyList<FixEdit>? PlanPublic(FindingContext finding)
        => StoredSlot(finding) is { } slot && IsPublic(slot) && !IsHiddenFromOtherAssemblies(slot, finding.Document.Project) && NoProjectReferences(finding.Document.Project)
            ? PlanSlot(finding, slot)
            : null;

    /// <summary>The title of <see cref="PlanPublic"/>'s fix: it names the member whose type it changes.</summary>
    public static string PublicTitle(FindingContext finding) => PublicTitle(StoredSlot(finding));

    /// <summary>
    /// WVA001 on a value that holds objects of a public type of the user's which keep one pointer
    /// member (<c>kept.Min(k =&gt; ((TrackPoint*)k.Start)-&gt;Lat)</c>): the change of
    /// <see cref="PlanPublic"/> for that member, where no project of the solution references this one.
    /// </summary>
    public static IReadOnlyList<FixEdit>? PlanPublicForHeldObjects(FindingContext finding)
        => PublicMemberOfHeldObjects(finding) is { } slot ? PlanSlot(finding, slot) : null;

    /// <summary>The title of <see cref="PlanPublicForHeldObjects"/>'s fix.</summary>
    public static string PublicTitleForHeldObjects(FindingContext finding) => PublicTitle(PublicMemberOfHeldObjects(finding));

    private static ISymbol? PublicMemberOfHeldObjects(FindingContext finding)
        => finding.Location is ExpressionSyntax held
           && PointerMemberOfHeldObjects(finding.Model.GetTypeInfo(held, finding.CancellationToken).Type) is { } slot
           && IsPublic(slot)
           && !IsHiddenFromOtherAssemblies(slot, finding.Document.Project)
           && NoProjectReferences(finding.Document.Project)
            ? slot
            : null;

    private static string PublicTitle(ISymbol? slot)
        => slot is not null
            ? $"Keep the guest offset in public {(slot is IFieldSymbol ? "field" : "property")} '{slot.Name}' instead of the pointer (changes its type)"
            : "Keep the guest offset in the public member instead of the pointer (changes its type)";

    private static ISymbol? StoredSlot(FindingContext finding)
        => HandedValue(finding) is { } handed ? SlotOf(finding.Model, finding.Document.Project, handed, 0, finding.CancellationToken) : null;

    /// <summary>
    /// WVA001 on a read of a pointer slot after a guest call (<c>*(byte*)_replay.Pop()</c>): the same
    /// change as for the store that filled it.
    /// </summary>
    public static IReadOnlyList<FixEdit>? PlanForRead(FindingContext finding)
    {
        var model = finding.Model;
        foreach (var name in finding.Location.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
        {
            var slot = model.GetSymbolInfo(name, finding.CancellationToken).Symbol;
            if (slot is IFieldSymbol or IPropertySymbol { IsIndexer: false })
            {
                return IsHiddenFromOtherAssemblies(slot, finding.Document.Project) ? PlanSlot(finding, slot) ?? PlanForHeldObjects(finding) : null;
            }
        }

        return PlanForHeldObjects(finding);
    }

    /// <summary>
    /// WVA001 on a value that holds objects of the user's which keep a pointer (<c>return kept.Min(k =>
    /// ((Point*)k.Start)->Lat)</c>, where <c>kept</c> is a list of <c>KeptSegment(int Id, nint Start)</c>):
    /// the same change for that one pointer member of theirs.
    /// </summary>
    private static IReadOnlyList<FixEdit>? PlanForHeldObjects(FindingContext finding)
        => finding.Location is ExpressionSyntax held
           && PointerMemberOfHeldObjects(finding.Model.GetTypeInfo(held, finding.CancellationToken).Type) is { } slot
           && IsHiddenFromOtherAssemblies(slot, finding.Document.Project)
            ? PlanSlot(finding, slot)
            : null;

    /// <summary>
    /// The one pointer or address member (an instance field or property declared in source) of the
    /// objects a value of <paramref name="type"/> is or holds (its type arguments, array elements).
    /// </summary>
    private static ISymbol? PointerMemberOfHeldObjects(ITypeSymbol? type)
    {
        var slots = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        void Collect(ITypeSymbol? held, int depth)
        {
            switch (held)
            {
                case IArrayTypeSymbol array when depth < 4:
                    Collect(array.ElementType, depth + 1);
                    break;
                case INamedTypeSymbol named when depth < 4:
                    if (named.DeclaringSyntaxReferences.Length == 1 && named.TypeKind is TypeKind.Class or TypeKind.Struct)
                    {
                        foreach (var member in named.GetMembers())
                        {
                            var memberType = member switch
                            {
                                IFieldSymbol { IsStatic: false, IsImplicitlyDeclared: false } field => field.Type,
                                IPropertySymbol { IsStatic: false, IsIndexer: false } property => property.Type,
                                _ => null,
                            };

                            if (IsPointerOrAddress(memberType))
                            {
                                slots.Add(member);
                            }
                        }
                    }

                    foreach (var argument in named.TypeArguments)
                    {
                        Collect(argument, depth + 1);
                    }

                    break;
            }
        }

        Collect(type, 0);
        return slots.Count == 1 ? slots.First() : null;
    }

    private static IReadOnlyList<FixEdit>? PlanSlot(FindingContext finding, ISymbol slot)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        if (slot.DeclaringSyntaxReferences.Length != 1
            || DeclaredType(slot.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken)) is not { } declaredType
            || declaredType.SyntaxTree != model.SyntaxTree
            || slot.ContainingType.DeclaringSyntaxReferences.Length != 1
            || ReferencedInAnotherDocument(model, slot, cancellationToken))
        {
            return null;
        }

        var declaration = declaredType.Parent!;
        var slotType = slot is IFieldSymbol field ? field.Type : ((IPropertySymbol)slot).Type;
        var createdTypes = new List<TypeSyntax>();
        var references = model.SyntaxTree.GetRoot(cancellationToken).DescendantNodes().OfType<IdentifierNameSyntax>()
            .Where(n => n.Identifier.ValueText == slot.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, cancellationToken).Symbol, slot))
            .ToList();

        // A nullable pointer field (nint?) is a scalar slot whose only reads may be HasValue: null stays null.
        var isNullable = slotType is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable && IsPointerOrAddress(nullable.TypeArguments[0]);
        var isScalar = isNullable || IsPointerOrAddress(slotType);
        var replacements = new List<(SyntaxNode Original, SyntaxNode Replacement)>();
        var removals = new List<StatementSyntax>();

        // _last != 0 of a pointer slot: a pointer into guest memory is never 0, so "no pointer kept"
        // becomes "no offset kept" (an int? without a value), and clearing the slot sets none.
        var zeroTests = new List<(ExpressionSyntax Test, ExpressionSyntax Access, bool Kept)>();
        var zeroStores = new List<ExpressionSyntax>();
        var retypedElsewhere = new List<TypeSyntax>();
        var helperParameters = new List<(ParameterSyntax Parameter, IdentifierNameSyntax Use)>();
        var storedPointers = new List<ExpressionSyntax>();
        ITypeSymbol? offsetType = null;
        ExpressionSyntax? memory = null;

        // Pointers from memories written differently (memory, caller.GetMemory("memory")!) can be
        // kept as offsets only where nothing reads them back: no read could tell which memory to use.
        var mixedMemories = false;
        var sameMemory = new SameMemory();
        // record PagePointer(int Number, nint Address): each new PagePointer(n, p) stores p, into another object.
        if (PositionalArguments(model, slot, cancellationToken) is not { } positionalArguments)
        {
            return null;
        }

        foreach (var reference in references.Concat<ExpressionSyntax>(positionalArguments))
        {
            if (reference.Parent is MemberBindingExpressionSyntax)
            {
                return null;
            }

            // this._frame, data.LastTransform: the member access is what is stored into or read.
            var access = reference.Parent is MemberAccessExpressionSyntax qualified && qualified.Name == reference ? (ExpressionSyntax)qualified : reference;
            var positional = positionalArguments.Contains(reference);
            if (positional)
            {
                sameMemory.SeeStoreIntoAnotherObject();
            }
            else
            {
                sameMemory.SeeSlotAccess(access);
            }

            var stored = positional ? new[] { reference }
                : isScalar ? StoredIntoField(model, access, cancellationToken)
                : StoredIntoCollection(model, access, cancellationToken);
            if (stored is not null && access.Parent is AssignmentExpressionSyntax { Right: ObjectCreationExpressionSyntax created })
            {
                createdTypes.AddRange(PointerTypesWithin(model, created.Type, cancellationToken));
            }

            if (stored is null)
            {
                if (!isScalar && (IsHarmlessCollectionUse(access) || IsKeyOnlyUse(model, access, cancellationToken) || IsHarmlessChannelUse(model, access, cancellationToken)))
                {
                    continue;
                }

                if (!isScalar && ForEachReads(model, access, retypedElsewhere, cancellationToken) is { } loopReads)
                {
                    replacements.AddRange(loopReads.Select(read => ((SyntaxNode)read, (SyntaxNode)read)));
                    continue;
                }

                if (!isScalar && IsElementRead(model, access, cancellationToken, out var pointerRead))
                {
                    if (pointerRead is not null)
                    {
                        replacements.Add((pointerRead, pointerRead));
                    }

                    continue;
                }

                if (!isScalar && GuardedValueReads(model, access, cancellationToken) is { } takenOut)
                {
                    replacements.AddRange(takenOut.Select(read => ((SyntaxNode)read, (SyntaxNode)read)));
                    continue;
                }

                if (!isScalar && DeconstructedReads(model, access, cancellationToken) is { } takenApart)
                {
                    replacements.AddRange(takenApart.Select(read => ((SyntaxNode)read, (SyntaxNode)read)));
                    continue;
                }

                if (isNullable && access.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "HasValue" } hasValue && hasValue.Expression == access)
                {
                    continue;
                }

                if (isScalar && !isNullable && ZeroTest(model, access, cancellationToken) is { } zeroTest)
                {
                    zeroTests.Add((zeroTest.Test, access, zeroTest.Kept));
                    continue;
                }

                if (isScalar && !isNullable && IsPointerRead(access))
                {
                    replacements.Add((access, access));
                    continue;
                }

                return null;
            }

            foreach (var pointer in stored.SelectMany(value => ThroughHelpers(model, finding.Document.Project, value, helperParameters, 0, cancellationToken)))
            {
                if (isScalar && !isNullable && IsZero(model, pointer, cancellationToken))
                {
                    zeroStores.Add(pointer);
                    continue;
                }

                // _tail = null of an nint? slot: no offset kept either.
                if (isNullable && pointer is LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NullLiteralExpression })
                {
                    continue;
                }

                if ((Decompose(model, pointer, cancellationToken) ?? FreshOffset(finding, pointer)) is not { } parts)
                {
                    // A number stored beside the pointer (a length) is data; a pointer that cannot be taken apart is not.
                    if (model.GetTypeInfo(pointer, cancellationToken).Type?.SpecialType is SpecialType.System_Int64 && !isScalar)
                    {
                        continue;
                    }

                    return null;
                }

                var thisType = parts.OffsetType;
                if (thisType.SpecialType is not (SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_UInt32 or SpecialType.System_IntPtr)
                    || (offsetType is not null && CommonOffsetType(offsetType, thisType) is null))
                {
                    return null;
                }

                offsetType = offsetType is null ? thisType : CommonOffsetType(offsetType, thisType);
                memory ??= parts.Memory;
                mixedMemories |= parts.MemoryOfAnotherObject || !parts.Memory.IsEquivalentTo(memory, topLevel: false);

                sameMemory.SeeStoredFrom(model, parts, cancellationToken);

                storedPointers.Add(pointer);
                replacements.Add((pointer, parts.Offset.WithoutTrivia().WithTriviaFrom(pointer)));
                if (parts.Local is { } local && LocalOnlyUsedAt(model, local, pointer, cancellationToken) is { } declarationStatement && !removals.Contains(declarationStatement))
                {
                    removals.Add(declarationStatement);
                }
            }
        }

        if (offsetType is null || memory is null)
        {
            return null;
        }

        // Reads of a pointer slot obtain the pointer again from the memory, which each read must reach:
        // a field of the reader's own type, or a parameter in scope where it reads.
        var reads = replacements.Where(r => r.Original == r.Replacement).Select(r => r.Original).ToList();
        replacements.RemoveAll(r => r.Original == r.Replacement);
        // Where one memory cannot be said for every object of a type that keeps a pointer, each read
        // may still say which memory its own object was made over.
        var memories = reads.Select(_ => memory).ToList();
        if ((reads.Count > 0 || TellsPointersApart(slotType)) && (mixedMemories || !sameMemory.HoldsFor(slot) || !reads.All(read => MemoryReachableAt(model, memory, read, cancellationToken))))
        {
            if (reads.Count == 0 || TellsPointersApart(slotType) || !isScalar || isNullable)
            {
                return null;
            }

            if (MemoriesWhereRead(model, finding.Document.Project, slot, storedPointers, reads.Cast<ExpressionSyntax>().ToList(), cancellationToken) is { } madeOver)
            {
                memories = madeOver.ToList();
            }
            else if (mixedMemories || sameMemory.OnlyField is not { } memoryField || !MadeAndReadByOneHost(model, slot, memoryField, memory, storedPointers, reads, cancellationToken))
            {
                return null;
            }
        }

        // _player != null ? _player->Health : 0: where the slot may hold no pointer, the offset is
        // nullable, and a read is offered only where its own test says an offset is kept.
        var mayBeEmpty = zeroTests.Count > 0 || zeroStores.Count > 0;
        for (var i = 0; i < reads.Count; i++)
        {
            var read = (ExpressionSyntax)reads[i];
            var offset = mayBeEmpty ? MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, read.WithoutTrivia(), IdentifierName("Value")) : null;
            replacements.Add((read, PointerAgain(model, memories[i], read, model.GetTypeInfo(read, cancellationToken).Type ?? slotType, offset)));
        }

        var offsetTypeName = offsetType.SpecialType == SpecialType.System_IntPtr ? ParseTypeName("nint") : ParseTypeName(offsetType.ToMinimalDisplayString(model, declaration.SpanStart));
        if (mayBeEmpty)
        {
            // A read as a pointer needs the value of an offset that may be missing (where the
            // pointer was 0), and an initializer would keep one from the start.
            // A record's member is another object's at each read: a test of one object says
            // nothing of the object another read is of, so a positional member may only be compared.
            if (HasInitializer(declaredType)
                || (declaredType.Parent is ParameterSyntax && reads.Count > 0)
                || !reads.All(read => GuardedByItsTest(read, zeroTests.Select(t => (t.Test, t.Kept)).ToList(), slot.Name)))
            {
                return null;
            }

            offsetTypeName = NullableType(offsetTypeName);
            replacements.AddRange(zeroStores.Select(zero => ((SyntaxNode)zero, (SyntaxNode)LiteralExpression(SyntaxKind.NullLiteralExpression).WithTriviaFrom(zero))));
            foreach (var (test, access, kept) in zeroTests)
            {
                ExpressionSyntax hasValue = MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, access.WithoutTrivia(), IdentifierName("HasValue"));
                replacements.Add((test, (kept ? hasValue : PrefixUnaryExpression(SyntaxKind.LogicalNotExpression, hasValue)).WithTriviaFrom(test)));
            }
        }

        var retypedTypes = isNullable && declaredType is NullableTypeSyntax nullableType ? new[] { nullableType.ElementType }
            : isScalar ? new[] { declaredType }
            : PointerTypesWithin(model, declaration is VariableDeclarationSyntax ? declaration.Parent! : declaration, cancellationToken).Concat(createdTypes);
        foreach (var retyped in retypedTypes.Concat(retypedElsewhere))
        {
            replacements.Add((retyped, offsetTypeName.WithTriviaFrom(retyped)));
        }

        // A helper's parameter that now carries the offset is named for it (pointer becomes offset).
        foreach (var (parameter, use) in helperParameters.Distinct())
        {
            var name = parameter.Identifier.ValueText;
            var offsetName = OffsetName(name);
            if (offsetName != name && model.LookupSymbols(use.SpanStart, name: offsetName).Length == 0)
            {
                name = offsetName;
                replacements.Add((use, IdentifierName(name).WithTriviaFrom(use)));
            }

            replacements.Add((parameter, parameter.WithType(offsetTypeName.WithTriviaFrom(parameter.Type!)).WithIdentifier(Identifier(name).WithTriviaFrom(parameter.Identifier))));
        }

        return EditsIfTheyCompile(model, replacements, removals, cancellationToken);
    }

    /// <summary>
    /// The pointers a store puts into the slot, followed back through the user's own helpers
    /// (<c>Track(p)</c> calls <c>Remember(pointer)</c>, which does <c>_recent.Add(pointer)</c>): where
    /// the stored value is a parameter that its method only hands on to this store, the arguments
    /// of every call of that method, which must all be in this document. The parameter and its use
    /// are added to <paramref name="retyped"/>: it will carry the offset. Otherwise the value itself.
    /// </summary>
    /// <remarks>
    /// A method another assembly may call, one that overrides, is overridden or implements an
    /// interface, or one used as a delegate has callers the fix cannot change; a parameter read
    /// any other way in its method would need the pointer there.
    /// </remarks>
    private static IEnumerable<ExpressionSyntax> ThroughHelpers(SemanticModel model, Project project, ExpressionSyntax stored, List<(ParameterSyntax Parameter, IdentifierNameSyntax Use)> retyped, int depth, CancellationToken cancellationToken)
    {
        var value = stored;
        if (depth > 3
            || value is not IdentifierNameSyntax
            || model.GetSymbolInfo(value, cancellationToken).Symbol is not IParameterSymbol { RefKind: RefKind.None, IsParams: false, HasExplicitDefaultValue: false, ContainingSymbol: IMethodSymbol method } parameter
            || !IsPlainHelper(method, project)
            || method.DeclaringSyntaxReferences.Length != 1
            || method.DeclaringSyntaxReferences[0].SyntaxTree != model.SyntaxTree
            || parameter.DeclaringSyntaxReferences.Length != 1
            || parameter.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not ParameterSyntax { Type: not null } parameterSyntax
            || ReferencedInAnotherDocument(model, method, cancellationToken))
        {
            return new[] { stored };
        }

        var declaration = method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken);
        var root = model.SyntaxTree.GetRoot(cancellationToken);
        var parameterUses = declaration.DescendantNodes().OfType<IdentifierNameSyntax>()
            .Where(n => n.Identifier.ValueText == parameter.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, cancellationToken).Symbol, parameter));
        var calls = root.DescendantNodes().OfType<SimpleNameSyntax>()
            .Where(n => n.Identifier.ValueText == method.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, cancellationToken).Symbol?.OriginalDefinition, method.OriginalDefinition))
            .ToList();
        var arguments = new List<ExpressionSyntax>();
        foreach (var call in calls)
        {
            var callee = call.Parent is MemberAccessExpressionSyntax member && member.Name == call ? (ExpressionSyntax)member : call;
            if (callee.Parent is not InvocationExpressionSyntax { ArgumentList.Arguments: var callArguments } invocation
                || invocation.Expression != callee
                || callArguments.Count != method.Parameters.Length
                || callArguments.Any(a => a.NameColon is not null || !a.RefKindKeyword.IsKind(SyntaxKind.None)))
            {
                return new[] { stored };
            }

            arguments.Add(callArguments[parameter.Ordinal].Expression);
        }

        if (arguments.Count == 0 || parameterUses.Any(use => use != value))
        {
            return new[] { stored };
        }

        retyped.Add((parameterSyntax, (IdentifierNameSyntax)value));
        return arguments.SelectMany(argument => ThroughHelpers(model, project, argument, retyped, depth + 1, cancellationToken)).ToList();
    }

    /// <summary>
    /// A set of pointers or a dictionary keyed by them, which tells its pointers apart even where
    /// nothing reads one back (<c>_seen.Add(p)</c> says whether it was new, <c>Count</c> how many):
    /// offsets into one memory are equal where the pointers were, those of two memories may not be.
    /// </summary>
    private static bool TellsPointersApart(ITypeSymbol slotType)
        => slotType.AllInterfaces.Append(slotType).OfType<INamedTypeSymbol>().Any(type =>
            type.ContainingNamespace?.ToDisplayString() == "System.Collections.Generic"
            && type.Name is "ISet" or "IReadOnlySet" or "IDictionary" or "IReadOnlyDictionary"
            && IsPointerOrAddress(type.TypeArguments.FirstOrDefault()));

    /// <summary>
    /// The type that holds the offsets of two stores: theirs when they agree, else the wider one an
    /// <c>int</c> converts to without a cast (<c>long</c>, or <c>nint</c> for an offset taken at its
    /// store by <see cref="FreshOffset"/>).
    /// </summary>
    private static ITypeSymbol? CommonOffsetType(ITypeSymbol first, ITypeSymbol second)
        => SymbolEqualityComparer.Default.Equals(first, second) ? first
            : second.SpecialType == SpecialType.System_Int32 && first.SpecialType is SpecialType.System_IntPtr or SpecialType.System_Int64 ? first
            : first.SpecialType == SpecialType.System_Int32 && second.SpecialType is SpecialType.System_IntPtr or SpecialType.System_Int64 ? second
            : null;

    /// <summary>
    /// A pointer that is not the memory's pointer plus an offset written out, but is fresh where it
    /// is stored: obtained by a call whose value is built on one memory of this type (a helper that
    /// calls the guest, then returns <c>_memory.GetPointer() + address</c>), in the store itself or
    /// in a local declared from that call alone, never assigned again, with nothing that may call
    /// the guest from there to the store (no loop between, no statement before it that calls one).
    /// Its guest offset is taken at the store: <c>cells - _memory.GetPointer()</c>, a native integer,
    /// the address it points at as long as the memory does not move, which is what the store kept.
    /// </summary>
    private static PointerParts? FreshOffset(FindingContext finding, ExpressionSyntax pointer)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        var pointerType = model.GetTypeInfo(pointer, cancellationToken).Type;
        if (pointerType is not (IPointerTypeSymbol or { SpecialType: SpecialType.System_IntPtr })
            || pointer.FirstAncestorOrSelf<StatementSyntax>() is not { } store
            || SyntaxHelpers.EnclosingFunction(store) is not { } body
            || FreshlyObtained(finding, pointer) is not { } obtained)
        {
            return null;
        }

        if (PointerRebasePlanner.RebasedStores(finding, body, new[] { obtained }, System.Array.Empty<ExpressionSyntax>(), new List<(SyntaxNode Original, SyntaxNode Replacement)>()) is not IFieldSymbol memory
            || model.LookupSymbols(pointer.SpanStart, name: memory.Name) is not { Length: 1 } named
            || !SymbolEqualityComparer.Default.Equals(named[0], memory)
            || model.SyntaxTree.GetRoot(cancellationToken).DescendantNodes().OfType<IdentifierNameSyntax>()
                   .FirstOrDefault(n => n.Identifier.ValueText == memory.Name && n.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "GetPointer" } && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, cancellationToken).Symbol, memory)) is not { } memoryReference)
        {
            return null;
        }

        var stored = pointerType.SpecialType == SpecialType.System_IntPtr ? Parenthesized(pointer) : "(nint)" + Parenthesized(pointer);
        var offset = ParseExpression($"{stored} - {memory.Name}.GetPointer()").WithAdditionalAnnotations(Simplifier.Annotation);
        return new PointerParts(memoryReference, offset, model.Compilation.GetSpecialType(SpecialType.System_IntPtr), null);
    }

    /// <summary>
    /// The call of a helper of the user's that obtained <paramref name="pointer"/>, where it is still
    /// fresh at <paramref name="pointer"/>: the pointer is that call (under casts), or a local
    /// declared from it alone (<c>var cells = BoardAddress();</c>) or filled by it as an <c>out</c>
    /// argument (<c>TryGlyphRun(box, out var run);</c>, a helper whose every assignment of that
    /// parameter reads Wasmtime's <c>GetPointer</c>), never assigned again, with nothing that may call
    /// the guest from there to the statement that holds <paramref name="pointer"/>. Which memory the
    /// call's value is built on is for <see cref="PointerRebasePlanner.RebasedStores"/> to say.
    /// </summary>
    internal static ExpressionSyntax? FreshlyObtained(FindingContext finding, ExpressionSyntax pointer)
    {
        var model = finding.Model;
        var cancellationToken = finding.CancellationToken;
        if (pointer.FirstAncestorOrSelf<StatementSyntax>() is not { } store
            || SyntaxHelpers.EnclosingFunction(store) is not { } body)
        {
            return null;
        }

        var source = pointer;
        while (source is ParenthesizedExpressionSyntax or CastExpressionSyntax)
        {
            source = source is ParenthesizedExpressionSyntax parenthesized ? parenthesized.Expression : ((CastExpressionSyntax)source).Expression;
        }

        // Memory.GetPointer() itself is the memory's base, whose offset is 0: no helper's pointer.
        if (source is InvocationExpressionSyntax && IsOwnHelperCall(model, source, cancellationToken))
        {
            return pointer;
        }

        if (model.GetSymbolInfo(source, cancellationToken).Symbol is not ILocalSymbol { IsRef: false, DeclaringSyntaxReferences.Length: 1 } local
            || ViewReacquirePlanner.References(model, local, body, cancellationToken).Any(r => ViewReacquirePlanner.IsWrite(r) || r.Parent is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.AddressOfExpression } or ArgumentSyntax { RefKindKeyword.RawKind: not 0 }))
        {
            return null;
        }

        var (obtained, declaration) = local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) switch
        {
            VariableDeclaratorSyntax { Initializer.Value: { } initializer, Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax { UsingKeyword.RawKind: 0 } statement } }
                when IsOwnHelperCall(model, initializer, cancellationToken) => (initializer, (StatementSyntax)statement),
            SingleVariableDesignationSyntax { Parent: DeclarationExpressionSyntax { Parent: ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.OutKeyword, Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax { Parent: ExpressionStatementSyntax statement } call } } argument } }
                when IsOwnHelperCall(model, call, cancellationToken) && OutIsBuiltOnMemory(model, call, argument, cancellationToken) => ((ExpressionSyntax)call, (StatementSyntax)statement),
            _ => (null, null),
        };

        return obtained is not null
               && SyntaxHelpers.EnclosingFunction(declaration!) == body
               && !MayCallGuestBetween(finding, declaration!, store)
            ? obtained
            : null;
    }

    /// <summary>
    /// Whether the helper <paramref name="call"/> calls gives its <c>out</c> parameter, at
    /// <paramref name="argument"/>, a value that reads Wasmtime's <c>GetPointer</c> wherever it
    /// assigns it (<c>run = _memory.GetPointer() + address;</c>), and passes it on to nothing.
    /// </summary>
    private static bool OutIsBuiltOnMemory(SemanticModel model, InvocationExpressionSyntax call, ArgumentSyntax argument, CancellationToken cancellationToken)
    {
        if (model.GetSymbolInfo(call, cancellationToken).Symbol is not IMethodSymbol { DeclaringSyntaxReferences.Length: 1 } method
            || argument.NameColon is not null
            || call.ArgumentList.Arguments.IndexOf(argument) is var index && (index < 0 || index >= method.Parameters.Length)
            || method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not MethodDeclarationSyntax { Body: { } helperBody }
            || WasmSymbols.TryCreate(model.Compilation) is not { } symbols)
        {
            return false;
        }

        var parameter = method.Parameters[index];
        if (parameter.RefKind != RefKind.Out)
        {
            return false;
        }

        var helperModel = SyntaxHelpers.ModelOf(model, helperBody.SyntaxTree);
        var uses = ViewReacquirePlanner.References(helperModel, parameter, helperBody, cancellationToken).ToList();
        return uses.Count > 0
               && uses.All(use => use.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Parent: ExpressionStatementSyntax } assignment
                                  && assignment.Left == use
                                  && helperModel.GetOperation(assignment.Right, cancellationToken) is { } value
                                  && value.DescendantsAndSelf().OfType<IInvocationOperation>().Any(invocation =>
                                      symbols.IsWasmtimeType(invocation.TargetMethod.ContainingType, symbols.Memory) && invocation.TargetMethod.Name == "GetPointer"));
    }

    /// <summary>A call, under casts, of a method declared in source (a helper of the user's, not Wasmtime's <c>GetPointer</c>).</summary>
    private static bool IsOwnHelperCall(SemanticModel model, ExpressionSyntax expression, CancellationToken cancellationToken)
    {
        while (expression is ParenthesizedExpressionSyntax or CastExpressionSyntax)
        {
            expression = expression is ParenthesizedExpressionSyntax parenthesized ? parenthesized.Expression : ((CastExpressionSyntax)expression).Expression;
        }

        return expression is InvocationExpressionSyntax && model.GetSymbolInfo(expression, cancellationToken).Symbol is IMethodSymbol { MethodKind: MethodKind.Ordinary, DeclaringSyntaxReferences.Length: > 0 };
    }

    /// <summary>
    /// Whether anything that runs after <paramref name="declaration"/> and before <paramref name="store"/>
    /// (both in one function, the store within the declaration's block) may call the guest: the
    /// statements before the store at each level, what an enclosing statement evaluates first (an
    /// <c>if</c>'s condition), the store's own statement; a loop between them runs more than that.
    /// </summary>
    private static bool MayCallGuestBetween(FindingContext finding, StatementSyntax declaration, StatementSyntax store)
    {
        if (GuestCallFinder.Contains(finding.Model, finding.Semantics, store, finding.CancellationToken))
        {
            return true;
        }

        for (SyntaxNode node = store; node != declaration.Parent; node = node.Parent)
        {
            if (node.Parent is null or AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or CommonForEachStatementSyntax or ForStatementSyntax or WhileStatementSyntax or DoStatementSyntax)
            {
                return true;
            }

            foreach (var before in node.Parent.ChildNodes())
            {
                if (before.Span.End <= node.SpanStart
                    && (node.Parent != declaration.Parent || before.SpanStart > declaration.SpanStart)
                    && GuestCallFinder.Contains(finding.Model, finding.Semantics, before, finding.CancellationToken))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary><c>pointer</c> and <c>ptr</c> become <c>offset</c>, <c>framePointer</c> <c>frameOffset</c>; other names stay.</summary>
    private static string OffsetName(string name)
    {
        if (name is "pointer" or "ptr")
        {
            return "offset";
        }

        foreach (var suffix in new[] { "Pointer", "Ptr" })
        {
            if (name.Length > suffix.Length && name.EndsWith(suffix, System.StringComparison.Ordinal))
            {
                return name.Substring(0, name.Length - suffix.Length) + "Offset";
            }
        }

        return name;
    }

    /// <summary>A method only this assembly calls, by name, and whose callers all call this very body.</summary>
    private static bool IsPlainHelper(IMethodSymbol method, Project project)
    {
        if (method.MethodKind == MethodKind.LocalFunction)
        {
            return true;
        }

        if (method.MethodKind != MethodKind.Ordinary || method.IsVirtual || method.IsOverride || method.IsAbstract || method.IsExtern
            || method.PartialDefinitionPart is not null || method.PartialImplementationPart is not null
            || !method.ExplicitInterfaceImplementations.IsEmpty
            || !IsHiddenFromOtherAssemblies(method, project))
        {
            return false;
        }

        var type = method.ContainingType;
        return !type.AllInterfaces.SelectMany(i => i.GetMembers()).Any(member => SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(member), method));
    }

    /// <summary><c>slot != 0</c>, <c>slot == IntPtr.Zero</c>, <c>null != slot</c>: the comparison, and whether it is true when a pointer is kept.</summary>
    private static (ExpressionSyntax Test, bool Kept)? ZeroTest(SemanticModel model, ExpressionSyntax access, CancellationToken cancellationToken)
    {
        ExpressionSyntax node = access;
        while (node.Parent is ParenthesizedExpressionSyntax parenthesized)
        {
            node = parenthesized;
        }

        if (node.Parent is not BinaryExpressionSyntax { RawKind: (int)SyntaxKind.EqualsExpression or (int)SyntaxKind.NotEqualsExpression } comparison)
        {
            return null;
        }

        var other = comparison.Left == node ? comparison.Right : comparison.Left;
        return IsZero(model, other, cancellationToken) ? (comparison, comparison.IsKind(SyntaxKind.NotEqualsExpression)) : null;
    }

    /// <summary>
    /// Whether <paramref name="read"/> runs only where one of <paramref name="tests"/> of its slot
    /// says a pointer is kept: the branch of a conditional or an <c>if</c> it selects (an <c>if</c>
    /// whose branch stores nothing into the slot), or the right side of <c>&amp;&amp;</c> after it.
    /// </summary>
    private static bool GuardedByItsTest(SyntaxNode read, IReadOnlyList<(ExpressionSyntax Test, bool Kept)> tests, string slotName)
        => GuardedBranch(read, (condition, holds) => tests.Any(t => t.Test == condition && t.Kept == holds)) is { } branch
           && (branch.Parent is not (IfStatementSyntax or ElseClauseSyntax)
               || !branch.DescendantNodesAndSelf().OfType<AssignmentExpressionSyntax>().Any(a => a.Left.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Any(n => n.Identifier.ValueText == slotName)));

    /// <summary>
    /// The branch on the way up from <paramref name="read"/> that runs only where
    /// <paramref name="isGuard"/> accepts its condition as true (<c>holds</c>) or as false: an arm of
    /// a conditional, the right side of <c>&amp;&amp;</c>, an <c>if</c>'s statement or its
    /// <c>else</c>. Null where there is none before the enclosing function.
    /// </summary>
    private static SyntaxNode? GuardedBranch(SyntaxNode read, System.Func<ExpressionSyntax, bool, bool> isGuard)
    {
        bool IsGuard(ExpressionSyntax condition, bool holds)
        {
            while (condition is ParenthesizedExpressionSyntax parenthesized)
            {
                condition = parenthesized.Expression;
            }

            return isGuard(condition, holds);
        }

        for (var node = read; node.Parent is { } parent; node = parent)
        {
            switch (parent)
            {
                case ConditionalExpressionSyntax conditional when (conditional.WhenTrue == node && IsGuard(conditional.Condition, true)) || (conditional.WhenFalse == node && IsGuard(conditional.Condition, false)):
                case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalAndExpression } conjunction when conjunction.Right == node && IsGuard(conjunction.Left, true):
                case IfStatementSyntax @if when @if.Statement == node && IsGuard(@if.Condition, true):
                case ElseClauseSyntax { Parent: IfStatementSyntax elseOf } when IsGuard(elseOf.Condition, false):
                    return node;
                case AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax:
                    return null;
            }
        }

        return null;
    }

    /// <summary><c>0</c>, <c>null</c>, <c>default</c>, <c>IntPtr.Zero</c>, <c>nint.Zero</c>: no pointer.</summary>
    private static bool IsZero(SemanticModel model, ExpressionSyntax expression, CancellationToken cancellationToken)
    {
        var operation = model.GetOperation(expression, cancellationToken)?.WalkDownConversions();
        if (operation is IDefaultValueOperation)
        {
            return true;
        }

        if (operation is IFieldReferenceOperation { Field: { Name: "Zero", IsStatic: true, ContainingType.SpecialType: SpecialType.System_IntPtr or SpecialType.System_UIntPtr } })
        {
            return true;
        }

        var constant = model.GetConstantValue(expression, cancellationToken);
        return constant.HasValue && (constant.Value is null || (constant.Value is System.IConvertible number && !(constant.Value is string or bool or char) && number.ToDecimal(System.Globalization.CultureInfo.InvariantCulture) == 0));
    }

    /// <summary>Whether the field or auto-property declared with <paramref name="type"/> is given a value where it is declared.</summary>
    private static bool HasInitializer(TypeSyntax type) => type.Parent switch
    {
        VariableDeclarationSyntax declaration => declaration.Variables.Any(v => v.Initializer is not null),
        PropertyDeclarationSyntax property => property.Initializer is not null,
        ParameterSyntax parameter => parameter.Default is not null,
        _ => true,
    };

    /// <summary>The replacements and the removed declarations as edits, when the document compiles with all of them.</summary>
    internal static IReadOnlyList<FixEdit>? EditsIfTheyCompile(SemanticModel model, List<(SyntaxNode Original, SyntaxNode Replacement)> replacements, List<StatementSyntax> removals, CancellationToken cancellationToken)
    {
        var all = replacements.Concat(removals.Select(r => ((SyntaxNode)r, (SyntaxNode)EmptyStatement()))).ToList();
        if (!SpeculativeCompilation.Compiles(model.Compilation, all, new[] { model.SyntaxTree }, cancellationToken))
        {
            return null;
        }

        var edits = replacements.Select(r => (FixEdit)new ReplaceEdit(r.Original, r.Replacement)).ToList();
        edits.AddRange(removals.Select(r => (FixEdit)new RemoveStatementEdit(r)));
        return edits;
    }

    /// <summary>
    /// Each pointer of <paramref name="stores"/> replaced by its guest offset (and a local that held
    /// it, read nowhere else, removed): false where one is not a memory field's pointer plus an
    /// offset, or not of the same memory and offset type as the others.
    /// </summary>
    internal static bool ReplaceByOffsets(SemanticModel model, IEnumerable<ExpressionSyntax> stores, List<(SyntaxNode Original, SyntaxNode Replacement)> replacements, List<StatementSyntax> removals, out ITypeSymbol? offsetType, out ExpressionSyntax? memory, CancellationToken cancellationToken)
    {
        offsetType = null;
        memory = null;
        foreach (var pointer in stores)
        {
            if (Decompose(model, pointer, cancellationToken) is not { MemoryOfAnotherObject: false } parts
                || parts.OffsetType is not { SpecialType: SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_UInt32 } thisType
                || (offsetType is not null && !SymbolEqualityComparer.Default.Equals(offsetType, thisType))
                || (memory is not null && !parts.Memory.IsEquivalentTo(memory, topLevel: false))
                || model.GetSymbolInfo(parts.Memory, cancellationToken).Symbol is not IFieldSymbol)
            {
                return false;
            }

            offsetType = thisType;
            memory = parts.Memory;
            replacements.Add((pointer, parts.Offset.WithoutTrivia().WithTriviaFrom(pointer)));
            if (parts.Local is { } local && LocalOnlyUsedAt(model, local, pointer, cancellationToken) is { } held && !removals.Contains(held))
            {
                removals.Add(held);
            }
        }

        return true;
    }

    /// <summary>
    /// The pointer obtained again where the offset kept in its place is read: <c>(byte*)(memory.GetPointer() + offset)</c>;
    /// <paramref name="offset"/> where it is not the read itself (<c>_player.Value</c> of a nullable offset).
    /// </summary>
    internal static ExpressionSyntax PointerAgain(SemanticModel model, ExpressionSyntax memory, ExpressionSyntax read, ITypeSymbol pointerType, ExpressionSyntax? offset = null)
    {
        var sum = ParseExpression($"{memory.WithoutTrivia()}.GetPointer() + {(offset ?? read).WithoutTrivia()}");
        ExpressionSyntax rebuilt = pointerType.TypeKind == TypeKind.Pointer || pointerType.SpecialType != SpecialType.System_IntPtr
            ? ParenthesizedExpression(CastExpression(ParseTypeName(pointerType.ToMinimalDisplayString(model, read.SpanStart)), ParenthesizedExpression(sum)))
            : ParenthesizedExpression(sum);
        return rebuilt.WithAdditionalAnnotations(Simplifier.Annotation).WithTriviaFrom(read);
    }

    private static ExpressionSyntax? HandedValue(FindingContext finding)
    {
        var additional = finding.Diagnostic.AdditionalLocations;
        if (additional.Count == 0 || additional[0].SourceTree != finding.Root.SyntaxTree)
        {
            return null;
        }

        var node = finding.Root.FindNode(additional[0].SourceSpan, getInnermostNodeForTie: true);
        return node is ArgumentSyntax argument ? argument.Expression : node as ExpressionSyntax;
    }

    /// <summary>The field or auto-property (scalar or collection) <paramref name="handed"/> is stored into.</summary>
    private static ISymbol? SlotOf(SemanticModel model, ExpressionSyntax handed, CancellationToken cancellationToken)
    {
        SyntaxNode node = handed;
        while (node.Parent is ParenthesizedExpressionSyntax or CastExpressionSyntax)
        {
            node = node.Parent;
        }

        // (pointer, length) in a tuple, [a, b] in a collection expression: the slot of the whole, or
        // the variable in the same place where the tuple is taken apart ((_cursor, _count) = (p, n)).
        var element = -1;
        if (node.Parent is ArgumentSyntax { Parent: TupleExpressionSyntax tuple } inTuple)
        {
            element = tuple.Arguments.IndexOf(inTuple);
            node = tuple;
        }
        else if (node.Parent is ExpressionElementSyntax { Parent: CollectionExpressionSyntax collection })
        {
            node = collection;
        }
        else if (node.Parent is InitializerExpressionSyntax { RawKind: (int)SyntaxKind.CollectionInitializerExpression, Parent: ObjectCreationExpressionSyntax created })
        {
            node = created;
        }

        ExpressionSyntax? target = node.Parent switch
        {
            ArgumentSyntax { Parent: ArgumentListSyntax { Arguments: { Count: 2 } arguments, Parent: InvocationExpressionSyntax invocation } } stored
                when arguments[1] == stored && arguments[0].RefKindKeyword.IsKind(SyntaxKind.RefKeyword) && IsPlainStore(model, invocation, cancellationToken) => arguments[0].Expression,
            AssignmentExpressionSyntax { Left: TupleExpressionSyntax variables } assignment when assignment.Right == node && node is TupleExpressionSyntax values && element >= 0
                => variables.Arguments.Count == values.Arguments.Count ? variables.Arguments[element].Expression : null,
            AssignmentExpressionSyntax assignment when assignment.Right == node => assignment.Left is ElementAccessExpressionSyntax indexed ? indexed.Expression : assignment.Left,
            ArgumentSyntax { Parent: ArgumentListSyntax { Arguments: var written, Parent: InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "TryWrite" or "WriteAsync", Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Writer" } writer } } } } stored
                when written[0] == stored && IsChannel(model, writer.Expression, cancellationToken) => writer.Expression,
            ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax call } } } when IsCollectionStore(call.Name.Identifier.ValueText) => call.Expression,
            _ => null,
        };

        var symbol = target is not null ? model.GetSymbolInfo(target, cancellationToken).Symbol : null;
        return symbol is IFieldSymbol or IPropertySymbol { IsIndexer: false } ? symbol : null;
    }

    /// <summary>
    /// For a positional member of a record (<c>record PagePointer(int Number, nint Address)</c>), the
    /// argument each <c>new PagePointer(...)</c> of this document passes it; none for another slot.
    /// Null where the record is also made another way (another constructor, an argument by name)
    /// or taken apart anywhere in the document (<c>var (n, a) = page</c>, <c>is PagePointer(_, var a)</c>):
    /// its <c>Deconstruct</c> reads the member where the fix cannot see it.
    /// </summary>
    private static IReadOnlyList<ExpressionSyntax>? PositionalArguments(SemanticModel model, ISymbol slot, CancellationToken cancellationToken)
    {
        if (slot is not IPropertySymbol { ContainingType: { IsRecord: true } record } property
            || property.DeclaringSyntaxReferences.Length != 1
            || property.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not ParameterSyntax { Parent: ParameterListSyntax { Parent: RecordDeclarationSyntax } parameters } parameter)
        {
            return System.Array.Empty<ExpressionSyntax>();
        }

        var ordinal = parameters.Parameters.IndexOf(parameter);
        var arguments = new List<ExpressionSyntax>();
        foreach (var node in model.SyntaxTree.GetRoot(cancellationToken).DescendantNodes())
        {
            switch (node)
            {
                case BaseObjectCreationExpressionSyntax creation when model.GetSymbolInfo(creation, cancellationToken).Symbol is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor
                                                                      && SymbolEqualityComparer.Default.Equals(constructor.ContainingType, record):
                    if (constructor.DeclaringSyntaxReferences.Length != 1
                        || constructor.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) != parameters.Parent
                        || creation.ArgumentList is not { } argumentList
                        || argumentList.Arguments.Count != parameters.Parameters.Count
                        || argumentList.Arguments.Any(a => a.NameColon is not null))
                    {
                        return null;
                    }

                    arguments.Add(argumentList.Arguments[ordinal].Expression);
                    break;
                case PositionalPatternClauseSyntax or ForEachVariableStatementSyntax or AssignmentExpressionSyntax { Left: TupleExpressionSyntax or DeclarationExpressionSyntax }
                    when TakesApart(model, node, record, cancellationToken):
                    return null;
            }
        }

        return arguments;
    }

    /// <summary>
    /// Whether <paramref name="node"/> (a positional pattern, a deconstructing <c>foreach</c> or
    /// assignment) may call <paramref name="record"/>'s <c>Deconstruct</c>, at any level of nesting
    /// (<c>var (id, (at, n)) = pair</c>); taking apart a tuple or another type reads no member of it.
    /// </summary>
    private static bool TakesApart(SemanticModel model, SyntaxNode node, INamedTypeSymbol record, CancellationToken cancellationToken)
    {
        bool Calls(DeconstructionInfo info)
            => (info.Method is null && info.Conversion is { Exists: false })
               || SymbolEqualityComparer.Default.Equals(info.Method?.ContainingType, record)
               || info.Nested.Any(Calls);

        return node switch
        {
            PositionalPatternClauseSyntax { Parent: { } pattern } => model.GetOperation(pattern, cancellationToken) is not IRecursivePatternOperation recursive
                || SymbolEqualityComparer.Default.Equals(recursive.MatchedType, record)
                || SymbolEqualityComparer.Default.Equals(recursive.DeconstructSymbol?.ContainingType, record),
            ForEachVariableStatementSyntax loop => Calls(model.GetDeconstructionInfo(loop)),
            AssignmentExpressionSyntax assignment => Calls(model.GetDeconstructionInfo(assignment)),
            _ => true,
        };
    }

    /// <summary>
    /// The slot <paramref name="handed"/> is stored into, here or by the user's own helpers it is
    /// handed to (<c>Track(p)</c>, where <c>Track</c> hands its parameter to <c>Remember</c>, which
    /// stores it): each helper's parameter must be used once, to hand it on or store it.
    /// </summary>
    private static ISymbol? SlotOf(SemanticModel model, Project project, ExpressionSyntax handed, int depth, CancellationToken cancellationToken)
    {
        if ((MemberOfCreated(model, handed, cancellationToken) ?? MemberOfCreatedLocal(model, handed, cancellationToken) ?? SlotOf(model, handed, cancellationToken)) is { } slot)
        {
            return slot;
        }

        if (depth > 3
            || handed.Parent is not ArgumentSyntax { NameColon: null, RefKindKeyword.RawKind: (int)SyntaxKind.None, Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax invocation } arguments } argument
            || model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol { OriginalDefinition: var method }
            || arguments.Arguments.IndexOf(argument) is var ordinal && ordinal >= method.Parameters.Length
            || !IsPlainHelper(method, project)
            || method.DeclaringSyntaxReferences.Length != 1
            || method.DeclaringSyntaxReferences[0].SyntaxTree != model.SyntaxTree)
        {
            return null;
        }

        var parameter = method.Parameters[ordinal];
        var uses = method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken).DescendantNodes().OfType<IdentifierNameSyntax>()
            .Where(n => n.Identifier.ValueText == parameter.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, cancellationToken).Symbol, parameter))
            .ToList();
        return uses.Count == 1 ? SlotOf(model, project, uses[0], depth + 1, cancellationToken) : null;
    }

    /// <summary>
    /// A local of a struct or record made where it is declared and never assigned again
    /// (<c>var staged = new Block { Samples = pointer }; _pending = staged;</c>): the member of the
    /// object made that takes the pointer, which every copy of the value carries.
    /// </summary>
    private static ISymbol? MemberOfCreatedLocal(SemanticModel model, ExpressionSyntax handed, CancellationToken cancellationToken)
    {
        if (model.GetSymbolInfo(handed, cancellationToken).Symbol is not ILocalSymbol { IsRef: false } local
            || local.DeclaringSyntaxReferences.Length != 1
            || local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Initializer.Value: { } initializer }
            || SyntaxHelpers.EnclosingFunction(handed) is not { } body
            || body.DescendantNodes().OfType<IdentifierNameSyntax>().Any(n => n.Identifier.ValueText == local.Name
                   && (n.Parent is AssignmentExpressionSyntax assigned && assigned.Left == n || n.Parent is ArgumentSyntax { RefKindKeyword.RawKind: not 0 })
                   && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, cancellationToken).Symbol, local)))
        {
            return null;
        }

        return MemberOfCreated(model, initializer, cancellationToken);
    }

    /// <summary>
    /// <c>new PagePointer(number, pointer, length)</c>, <c>new State { Preview = pointer }</c>,
    /// <c>state with { Preview = pointer }</c>: the one member of the object made that takes a
    /// pointer, a record's positional member or one set by the initializer.
    /// </summary>
    private static ISymbol? MemberOfCreated(SemanticModel model, ExpressionSyntax handed, CancellationToken cancellationToken)
    {
        var (arguments, initializer) = handed switch
        {
            BaseObjectCreationExpressionSyntax creation => (creation.ArgumentList?.Arguments.Select(a => a.Expression) ?? Enumerable.Empty<ExpressionSyntax>(), creation.Initializer),
            WithExpressionSyntax with => (Enumerable.Empty<ExpressionSyntax>(), with.Initializer),
            _ => (null, null),
        };
        if (arguments is null)
        {
            return null;
        }

        var members = new List<ISymbol>();
        if (arguments.Any() && model.GetSymbolInfo(handed, cancellationToken).Symbol is IMethodSymbol { ContainingType.IsRecord: true } constructor)
        {
            var list = arguments.ToList();
            for (var i = 0; i < list.Count && i < constructor.Parameters.Length; i++)
            {
                if (IsPointerOrAddress(model.GetTypeInfo(list[i], cancellationToken).ConvertedType) && constructor.Parameters[i].Type.SpecialType != SpecialType.System_Int64)
                {
                    members.AddRange(constructor.ContainingType.GetMembers(constructor.Parameters[i].Name).OfType<IPropertySymbol>());
                }
            }
        }

        if (initializer is not null)
        {
            MembersSetBy(model, initializer, members, cancellationToken);
        }

        return members.Count == 1 ? members[0] : null;
    }

    /// <summary>
    /// The members an object initializer sets to a pointer, and those of a member's own initializer
    /// (<c>new Report { Block = { Samples = pointer } }</c> sets <c>Samples</c> of the report's block).
    /// </summary>
    private static void MembersSetBy(SemanticModel model, InitializerExpressionSyntax initializer, List<ISymbol> members, CancellationToken cancellationToken)
    {
        foreach (var expression in initializer.Expressions)
        {
            if (expression is AssignmentExpressionSyntax { Left: IdentifierNameSyntax, Right: InitializerExpressionSyntax { RawKind: (int)SyntaxKind.ObjectInitializerExpression } nested })
            {
                MembersSetBy(model, nested, members, cancellationToken);
            }
            else if (expression is AssignmentExpressionSyntax { Left: IdentifierNameSyntax member } assignment
                && IsPointerOrAddress(model.GetTypeInfo(assignment.Right, cancellationToken).ConvertedType)
                && model.GetSymbolInfo(member, cancellationToken).Symbol is IFieldSymbol or IPropertySymbol { IsIndexer: false })
            {
                members.Add(model.GetSymbolInfo(member, cancellationToken).Symbol!);
            }
        }
    }

    /// <summary>
    /// The type written in the declaration of a field declared alone or of an auto-property: the
    /// type the offset replaces. A property with accessor bodies may compute what it returns.
    /// </summary>
    private static TypeSyntax? DeclaredType(SyntaxNode declaration) => declaration switch
    {
        ParameterSyntax { Type: { } type, Parent: ParameterListSyntax { Parent: RecordDeclarationSyntax } } => type,
        VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1 } variables } => variables.Type,
        PropertyDeclarationSyntax { ExpressionBody: null, AccessorList.Accessors: { Count: > 0 } accessors } property
            when accessors.All(a => a.Body is null && a.ExpressionBody is null) => property.Type,
        _ => null,
    };

    /// <summary>
    /// A member no other assembly can read or write: private, or in a private type, or internal in an
    /// assembly that shows its internals to none, or any member of an application no project of the
    /// solution references. Another assembly's readers would still expect a pointer; a library's public
    /// members have readers the solution does not show.
    /// </summary>
    private static bool IsHiddenFromOtherAssemblies(ISymbol slot, Project project)
    {
        var internalSomewhere = false;
        for (ISymbol? level = slot; level is INamedTypeSymbol or IFieldSymbol or IPropertySymbol or IMethodSymbol; level = level.ContainingType)
        {
            switch (level.DeclaredAccessibility)
            {
                case Accessibility.Private:
                    return true;
                case Accessibility.Internal or Accessibility.ProtectedAndInternal:
                    internalSomewhere = true;
                    break;
            }
        }

        if (slot.ContainingAssembly.GetAttributes().Any(a => a.AttributeClass?.Name == "InternalsVisibleToAttribute"))
        {
            return false;
        }

        return internalSomewhere || IsApplicationNoProjectReferences(project);
    }

    /// <summary>A member of the public surface: public (or protected) itself and in every type around it.</summary>
    private static bool IsPublic(ISymbol slot)
    {
        for (var level = slot; level is INamedTypeSymbol or IFieldSymbol or IPropertySymbol; level = level.ContainingType)
        {
            if (level.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal))
            {
                return false;
            }
        }

        return true;
    }

    private static bool NoProjectReferences(Project project)
        => !project.Solution.GetProjectDependencyGraph().GetProjectsThatTransitivelyDependOnThisProject(project.Id).Any();

    private static bool IsApplicationNoProjectReferences(Project project)
        => project.CompilationOptions?.OutputKind is OutputKind.ConsoleApplication or OutputKind.WindowsApplication or OutputKind.WindowsRuntimeApplication
           && project.Solution.GetProjectDependencyGraph().GetProjectsThatDirectlyDependOnThisProject(project.Id).Count == 0;

    /// <summary>Whether a document other than the finding's names the slot: the fix edits one document.</summary>
    private static bool ReferencedInAnotherDocument(SemanticModel model, ISymbol slot, CancellationToken cancellationToken)
    {
        foreach (var tree in model.Compilation.SyntaxTrees)
        {
            if (tree == model.SyntaxTree || !tree.GetText(cancellationToken).ToString().Contains(slot.Name))
            {
                continue;
            }

            var other = model.Compilation.GetSemanticModel(tree);
            if (tree.GetRoot(cancellationToken).DescendantNodes().OfType<IdentifierNameSyntax>()
                .Any(n => n.Identifier.ValueText == slot.Name && SymbolEqualityComparer.Default.Equals(other.GetSymbolInfo(n, cancellationToken).Symbol, slot)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether <paramref name="memory"/>, written where the pointer was stored, names the same memory
    /// where <paramref name="read"/> reads the slot: a field of the reader's own type (read from an
    /// instance member when the field is one), or a parameter in scope there.
    /// </summary>
    private static bool MemoryReachableAt(SemanticModel model, ExpressionSyntax memory, SyntaxNode read, CancellationToken cancellationToken)
    {
        var symbol = model.GetSymbolInfo(memory, cancellationToken).Symbol;
        if (symbol is not (IFieldSymbol or IParameterSymbol)
            || !SymbolEqualityComparer.Default.Equals(model.GetSpeculativeSymbolInfo(read.SpanStart, memory, SpeculativeBindingOption.BindAsExpression).Symbol, symbol))
        {
            return false;
        }

        if (symbol is not IFieldSymbol { IsStatic: false } field)
        {
            return true;
        }

        return model.GetEnclosingSymbol(read.SpanStart, cancellationToken) is { IsStatic: false } reader
               && SymbolEqualityComparer.Default.Equals(reader.ContainingType, field.ContainingType);
    }

    /// <summary>
    /// Whether every pointer kept in the slot came from the memory its reads will obtain it again
    /// from: one static field, or one instance field of this object read only through this object's
    /// own slot (<c>_frame</c>, <c>this._frame</c>). A slot of another object (<c>peer.LastSnapshot</c>)
    /// or a static slot filled from an instance's memory may be read by another instance over another
    /// memory; a parameter may be another memory at each call.
    /// </summary>
    private sealed class SameMemory
    {
        private ISymbol? _memory;
        private bool _unknown;
        private bool _slotOnlyOnThis = true;

        public void SeeSlotAccess(ExpressionSyntax access)
        {
            var onThis = access is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax }
                         || (access is IdentifierNameSyntax && access.Parent is not AssignmentExpressionSyntax { Parent: InitializerExpressionSyntax });
            _slotOnlyOnThis &= onThis;
        }

        public void SeeStoreIntoAnotherObject() => _slotOnlyOnThis = false;

        public void SeeStoredFrom(SemanticModel model, PointerParts parts, CancellationToken cancellationToken)
        {
            var symbol = parts.MemoryOfAnotherObject ? null : model.GetOperation(parts.Memory, cancellationToken) switch
            {
                IFieldReferenceOperation { Field.IsStatic: true } reference => reference.Field,
                IFieldReferenceOperation { Instance: IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance } } reference => reference.Field,
                _ => null,
            };

            _unknown |= symbol is null || (_memory is not null && !SymbolEqualityComparer.Default.Equals(_memory, symbol));
            _memory ??= symbol;
        }

        /// <summary>The one instance field of this object every pointer was taken from, if one is.</summary>
        public IFieldSymbol? OnlyField => _unknown ? null : _memory as IFieldSymbol;

        public bool HoldsFor(ISymbol slot)
            => !_unknown && _memory is not null
               && (_memory.IsStatic || (!slot.IsStatic && _slotOnlyOnThis && SymbolEqualityComparer.Default.Equals(slot.ContainingType, _memory.ContainingType)));
    }

    /// <summary><c>_field = pointer</c>, <c>_field ??= pointer;</c>, <c>(_field, _count) = (pointer, count)</c>, or <c>Interlocked.Exchange(ref _field, pointer);</c> and <c>Volatile.Write(ref _field, pointer)</c> (stores whose result is not read): the pointer stored.</summary>
    private static IReadOnlyList<ExpressionSyntax>? StoredIntoField(SemanticModel model, ExpressionSyntax access, CancellationToken cancellationToken)
    {
        if (access.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment && assignment.Left == access)
        {
            return new[] { assignment.Right };
        }

        // _tail ??= p, whose value is not used: stores where no pointer is kept, and reads nothing out.
        if (access.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.CoalesceAssignmentExpression } coalescing
            && coalescing.Left == access
            && model.GetOperation(coalescing, cancellationToken)?.Parent is IExpressionStatementOperation)
        {
            return new[] { coalescing.Right };
        }

        // (_cursor, _count) = (pointer, count): the value in the same place of the tuple taken apart.
        if (access.Parent is ArgumentSyntax { NameColon: null, Parent: TupleExpressionSyntax { Parent: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Right: TupleExpressionSyntax values } deconstruction } variables } variable
            && deconstruction.Left == variables
            && values.Arguments.Count == variables.Arguments.Count)
        {
            return new[] { values.Arguments[variables.Arguments.IndexOf(variable)].Expression };
        }

        return access.Parent is ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.RefKeyword, Parent: ArgumentListSyntax { Arguments: { Count: 2 } arguments, Parent: InvocationExpressionSyntax invocation } } argument
               && arguments[0] == argument
               && IsPlainStore(model, invocation, cancellationToken)
               && model.GetOperation(invocation, cancellationToken)?.Parent is IExpressionStatementOperation
            ? new[] { arguments[1].Expression }
            : null;
    }

    /// <summary>
    /// A call that only stores its second argument into its first: <c>Interlocked.Exchange</c>,
    /// <c>Volatile.Write</c>, or a method of the user's whose whole body is that assignment
    /// (<c>static void Store&lt;T&gt;(ref T slot, T value) =&gt; slot = value;</c>).
    /// </summary>
    private static bool IsPlainStore(SemanticModel model, InvocationExpressionSyntax invocation, CancellationToken cancellationToken)
    {
        if (model.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol { ContainingType: { ContainingNamespace: { } containing } type } method)
        {
            return false;
        }

        if (containing.ToDisplayString() == "System.Threading")
        {
            return (type.Name == "Interlocked" && method.Name == "Exchange") || (type.Name == "Volatile" && method.Name == "Write");
        }

        var references = method.OriginalDefinition.DeclaringSyntaxReferences;
        var parameters = method.Parameters;
        if (references.Length != 1 || parameters.Length != 2 || parameters[0].RefKind != RefKind.Ref || parameters[1].RefKind != RefKind.None)
        {
            return false;
        }

        var declaration = references[0].GetSyntax(cancellationToken);
        var (expressionBody, body) = declaration switch
        {
            BaseMethodDeclarationSyntax declared => (declared.ExpressionBody, declared.Body),
            LocalFunctionStatementSyntax function => (function.ExpressionBody, function.Body),
            _ => (null, null),
        };
        var assignment = expressionBody?.Expression ?? (body is { Statements: { Count: 1 } statements } && statements[0] is ExpressionStatementSyntax only ? only.Expression : null);
        return assignment is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax left, Right: IdentifierNameSyntax right }
               && left.Identifier.ValueText == parameters[0].Name
               && right.Identifier.ValueText == parameters[1].Name;
    }

    /// <summary>The pointers a store into the collection field puts there: an element, a tuple's pointer elements, a collection expression's elements.</summary>
    private static IReadOnlyList<ExpressionSyntax>? StoredIntoCollection(SemanticModel model, ExpressionSyntax access, CancellationToken cancellationToken)
    {
        IEnumerable<ExpressionSyntax> values;
        switch (access.Parent)
        {
            case MemberAccessExpressionSyntax { Parent: InvocationExpressionSyntax invocation } member when member.Expression == access && IsCollectionStore(member.Name.Identifier.ValueText):
                values = invocation.ArgumentList.Arguments.Select(a => a.Expression);
                break;
            case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Writer", Parent: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "TryWrite" or "WriteAsync", Parent: InvocationExpressionSyntax { ArgumentList.Arguments: { Count: > 0 } written } } } writer
                when writer.Expression == access && IsChannel(model, access, cancellationToken):
                // _frames.Writer.TryWrite(p): the item written (WriteAsync's token is no element).
                values = new[] { written[0].Expression };
                break;
            case ElementAccessExpressionSyntax { Parent: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment } element when element.Expression == access && assignment.Left == element:
                values = new[] { assignment.Right };
                break;
            case AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Right: CollectionExpressionSyntax collection } assignment when assignment.Left == access:
                values = collection.Elements.OfType<ExpressionElementSyntax>().Select(e => e.Expression);
                break;
            case AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Right: ObjectCreationExpressionSyntax { ArgumentList: null or { Arguments.Count: 0 }, Initializer: { RawKind: (int)SyntaxKind.CollectionInitializerExpression } initializer } } assignment when assignment.Left == access:
                // _watch = new List<nint> { p }: the new collection's elements (a dictionary's { key, value } pairs).
                values = initializer.Expressions.SelectMany(e => e is InitializerExpressionSyntax pair ? (IEnumerable<ExpressionSyntax>)pair.Expressions : new[] { e });
                break;
            default:
                return null;
        }

        var pointers = new List<ExpressionSyntax>();
        foreach (var value in values)
        {
            if (value is TupleExpressionSyntax tuple)
            {
                pointers.AddRange(tuple.Arguments.Select(a => a.Expression).Where(e => IsPointerOrAddress(model.GetTypeInfo(e, cancellationToken).Type)));
            }
            else if (IsPointerOrAddress(model.GetTypeInfo(value, cancellationToken).Type))
            {
                pointers.Add(value);
            }
        }

        return pointers;
    }

    /// <summary>
    /// The methods that put their argument into a collection. A call of any other method on a
    /// field (<c>_journal.Remember(p)</c>) is a helper's, which may store it in a slot of its own.
    /// </summary>
    private static bool IsCollectionStore(string method) => method is "Add" or "AddLast" or "AddFirst" or "Enqueue" or "Push" or "TryAdd" or "Insert";

    /// <summary>A <c>System.Threading.Channels.Channel</c> of any element type.</summary>
    private static bool IsChannel(SemanticModel model, ExpressionSyntax expression, CancellationToken cancellationToken)
    {
        for (var type = model.GetTypeInfo(expression, cancellationToken).Type; type is not null; type = type.BaseType)
        {
            if (type is INamedTypeSymbol { Name: "Channel", IsGenericType: true } && type.ContainingNamespace?.ToDisplayString() == "System.Threading.Channels")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A use of a channel field that takes no element out: completing its writer, its reader's
    /// count or completion, waiting for something to read (what is read then is a use of its own).
    /// </summary>
    private static bool IsHarmlessChannelUse(SemanticModel model, ExpressionSyntax access, CancellationToken cancellationToken)
        => access.Parent is MemberAccessExpressionSyntax { Parent: MemberAccessExpressionSyntax use } side
           && side.Expression == access
           && IsChannel(model, access, cancellationToken)
           && (side.Name.Identifier.ValueText, use.Name.Identifier.ValueText) switch
           {
               ("Writer", "Complete" or "TryComplete") => use.Parent is InvocationExpressionSyntax,
               ("Reader", "Count" or "Completion" or "CanCount") => true,
               ("Reader", "WaitToReadAsync") => use.Parent is InvocationExpressionSyntax,
               _ => false,
           };

    /// <summary>A use of a collection field that reads no element: its count, clearing it, dropping its oldest.</summary>
    private static bool IsHarmlessCollectionUse(ExpressionSyntax access)
        => access.Parent is MemberAccessExpressionSyntax member
           && member.Expression == access
           && member.Name.Identifier.ValueText is "Count" or "Length" or "Clear" or "RemoveFirst" or "RemoveLast" or "RemoveAt" or "IsEmpty"
           && (member.Name.Identifier.ValueText is "Count" or "Length" or "IsEmpty" || member.Parent is InvocationExpressionSyntax { Parent: ExpressionStatementSyntax });

    /// <summary>
    /// A use of a dictionary field that reads only its keys (<c>ContainsKey(key)</c>, <c>Remove(key)</c>,
    /// <c>TryRemove(key, out _)</c>, <c>Keys</c>), where the keys hold no pointer: the offsets change the
    /// values alone, so every key is where it was. <c>Remove(key, out value)</c> takes a value out.
    /// </summary>
    private static bool IsKeyOnlyUse(SemanticModel model, ExpressionSyntax access, CancellationToken cancellationToken)
    {
        if (access.Parent is not MemberAccessExpressionSyntax member
            || member.Expression != access
            || model.GetTypeInfo(access, cancellationToken).Type is not { } type
            || DictionaryKeyType(type) is not { } key
            || HoldsPointer(key))
        {
            return false;
        }

        return (member.Name.Identifier.ValueText, member.Parent) switch
        {
            ("Keys", not InvocationExpressionSyntax) => true,
            ("ContainsKey" or "Remove", InvocationExpressionSyntax { ArgumentList.Arguments.Count: 1 }) => true,
            ("TryRemove", InvocationExpressionSyntax { ArgumentList.Arguments: { Count: 2 } arguments }) => arguments[1].Expression is DeclarationExpressionSyntax { Designation: DiscardDesignationSyntax }
                || model.GetSymbolInfo(arguments[1].Expression, cancellationToken).Symbol is IDiscardSymbol,
            _ => false,
        };
    }

    private static ITypeSymbol? DictionaryKeyType(ITypeSymbol type)
        => type.AllInterfaces.Append(type).OfType<INamedTypeSymbol>().FirstOrDefault(candidate =>
            candidate.ContainingNamespace?.ToDisplayString() == "System.Collections.Generic"
            && candidate.Name is "IDictionary" or "IReadOnlyDictionary"
            && candidate.TypeArguments.Length == 2)?.TypeArguments[0];

    /// <summary>Whether a key type is or holds (as a tuple element or type argument) a pointer or address the fix would retype.</summary>
    private static bool HoldsPointer(ITypeSymbol type)
        => IsPointerOrAddress(type) || (type is INamedTypeSymbol named && named.TypeArguments.Any(HoldsPointer));

    /// <summary>
    /// <c>foreach (var frame in _pending)</c>: the loop's reads of each pointer (<c>*(byte*)frame</c>,
    /// <c>upload.Start</c> of a tuple), which obtain it again; a type written for the loop variable
    /// is added to <paramref name="retyped"/>. Null where the loop variable is used otherwise
    /// (compared, handed on by reference, assigned, captured by a lambda).
    /// </summary>
    private static IReadOnlyList<ExpressionSyntax>? ForEachReads(SemanticModel model, ExpressionSyntax access, List<TypeSyntax> retyped, CancellationToken cancellationToken)
    {
        if (access.Parent is not ForEachStatementSyntax { AwaitKeyword.RawKind: (int)SyntaxKind.None } loop
            || loop.Expression != access
            || model.GetDeclaredSymbol(loop, cancellationToken) is not { } element)
        {
            return null;
        }

        var reads = new List<ExpressionSyntax>();
        var isTuple = element.Type is INamedTypeSymbol { IsTupleType: true };
        foreach (var reference in loop.Statement.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
        {
            if (reference.Identifier.ValueText != element.Name || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(reference, cancellationToken).Symbol, element))
            {
                continue;
            }

            if (reference.Ancestors().TakeWhile(n => n != loop).Any(n => n is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
            {
                return null;
            }

            if (!isTuple)
            {
                if (!IsPointerOrAddress(element.Type) || !IsPointerRead(reference))
                {
                    return null;
                }

                reads.Add(reference);
                continue;
            }

            if (reference.Parent is not MemberAccessExpressionSyntax { Parent: not AssignmentExpressionSyntax } member
                || member.Expression != reference
                || model.GetSymbolInfo(member, cancellationToken).Symbol is not IFieldSymbol field)
            {
                return null;
            }

            if (IsPointerOrAddress(field.Type))
            {
                if (!IsPointerRead(member))
                {
                    return null;
                }

                reads.Add(member);
            }
        }

        if (!loop.Type.IsVar)
        {
            retyped.AddRange(PointerTypesWithin(model, loop.Type, cancellationToken));
        }

        return reads;
    }

    /// <summary>
    /// A use of a collection slot that takes an element out (<c>_pending[i]</c>, <c>_replay.Pop()</c>,
    /// <c>_uploads.Dequeue().Start</c>) and uses it as a pointer (<paramref name="pointer"/>), or reads
    /// only a number beside it (<c>.Length</c> of a tuple). False where an element is taken out
    /// another way (<c>TryDequeue(out p)</c>, <c>foreach</c>, <c>FirstOrDefault()</c>, whose 0 for none
    /// would become the memory's base), or where the pointer is compared or handed on by reference.
    /// </summary>
    private static bool IsElementRead(SemanticModel model, ExpressionSyntax access, CancellationToken cancellationToken, out ExpressionSyntax? pointer)
    {
        pointer = null;
        ExpressionSyntax element;
        switch (access.Parent)
        {
            case ElementAccessExpressionSyntax indexed when indexed.Expression == access:
                element = indexed;
                break;
            case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Pop" or "Peek" or "Dequeue" or "First" or "Last" or "ElementAt", Parent: InvocationExpressionSyntax invocation } member
                when member.Expression == access:
                element = invocation;
                break;
            default:
                return false;
        }

        var type = model.GetTypeInfo(element, cancellationToken).Type;
        if (IsPointerOrAddress(type))
        {
            pointer = element;
            return IsPointerRead(element) && element.Parent is not (AssignmentExpressionSyntax or PostfixUnaryExpressionSyntax or PrefixUnaryExpressionSyntax { RawKind: not (int)SyntaxKind.PointerIndirectionExpression });
        }

        // A tuple's element: its pointer read by name (.Start, .Item1), or a number beside it.
        if (type is INamedTypeSymbol { IsTupleType: true }
            && element.Parent is MemberAccessExpressionSyntax { Parent: not AssignmentExpressionSyntax } tupleMember
            && tupleMember.Expression == element
            && model.GetSymbolInfo(tupleMember, cancellationToken).Symbol is IFieldSymbol tupleField)
        {
            pointer = IsPointerOrAddress(tupleField.Type) ? tupleMember : null;
            return pointer is null || IsPointerRead(tupleMember);
        }

        return false;
    }

    /// <summary>
    /// <c>_cache.TryGetValue(key, out var p) ? *(byte*)p : 0</c> (also <c>TryDequeue</c>,
    /// <c>TryPop</c>, <c>TryPeek</c>): the reads of the pointer taken out, each where the call said
    /// one was there (the right of <c>&amp;&amp;</c> after it, the true branch of <c>?:</c> or
    /// <c>if</c> over it). Elsewhere the variable may hold the 0 of none, which obtaining the pointer
    /// again would turn into the memory's base. Null where it is read anywhere else, or written.
    /// </summary>
    private static IReadOnlyList<ExpressionSyntax>? GuardedValueReads(SemanticModel model, ExpressionSyntax access, CancellationToken cancellationToken)
    {
        if (access.Parent is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "TryGetValue" or "TryDequeue" or "TryPop" or "TryPeek" } member
            || member.Expression != access
            || member.Parent is not InvocationExpressionSyntax { ArgumentList.Arguments: { Count: > 0 } arguments } call
            || arguments[arguments.Count - 1] is not { RefKindKeyword.RawKind: (int)SyntaxKind.OutKeyword, Expression: DeclarationExpressionSyntax { Designation: SingleVariableDesignationSyntax designation } }
            || model.GetDeclaredSymbol(designation, cancellationToken) is not ILocalSymbol value
            || !IsPointerOrAddress(value.Type)
            || SyntaxHelpers.EnclosingFunction(call) is not { } body)
        {
            return null;
        }

        var reads = new List<ExpressionSyntax>();
        foreach (var use in ViewReacquirePlanner.References(model, value, body, cancellationToken))
        {
            if (ViewReacquirePlanner.IsWrite(use) || !IsPointerRead(use) || !GuardedByCall(use, call))
            {
                return null;
            }

            reads.Add(use);
        }

        return reads;
    }

    /// <summary>Whether <paramref name="read"/> runs only where <paramref name="call"/> returned true.</summary>
    private static bool GuardedByCall(SyntaxNode read, InvocationExpressionSyntax call)
        => GuardedBranch(read, (condition, holds) => holds && condition == call) is not null;

    /// <summary>
    /// <c>var (start, length) = _rewind.Pop();</c>: a tuple taken out of a collection slot into new
    /// locals, each pointer local only read as a pointer where it is in scope (not compared, assigned,
    /// handed on by reference or captured): its reads, which obtain the pointer again. Null otherwise.
    /// </summary>
    private static IReadOnlyList<ExpressionSyntax>? DeconstructedReads(SemanticModel model, ExpressionSyntax access, CancellationToken cancellationToken)
    {
        if (access.Parent is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Pop" or "Peek" or "Dequeue" or "First" or "Last", Parent: InvocationExpressionSyntax taken } member
            || member.Expression != access
            || taken.Parent is not AssignmentExpressionSyntax { Left: DeclarationExpressionSyntax { Type.IsVar: true, Designation: ParenthesizedVariableDesignationSyntax designation } } deconstruction
            || deconstruction.Right != taken
            || model.GetTypeInfo(taken, cancellationToken).Type is not INamedTypeSymbol { IsTupleType: true } tuple
            || tuple.TupleElements.Length != designation.Variables.Count
            || SyntaxHelpers.EnclosingFunction(deconstruction) is not { } body)
        {
            return null;
        }

        var reads = new List<ExpressionSyntax>();
        for (var i = 0; i < designation.Variables.Count; i++)
        {
            if (!IsPointerOrAddress(tuple.TupleElements[i].Type))
            {
                continue;
            }

            if (designation.Variables[i] is DiscardDesignationSyntax)
            {
                continue;
            }

            if (designation.Variables[i] is not SingleVariableDesignationSyntax variable || model.GetDeclaredSymbol(variable, cancellationToken) is not ILocalSymbol local)
            {
                return null;
            }

            foreach (var reference in body.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (reference.Identifier.ValueText != local.Name || !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(reference, cancellationToken).Symbol, local))
                {
                    continue;
                }

                if (!IsPointerRead(reference) || reference.Ancestors().TakeWhile(n => n != body).Any(n => n is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
                {
                    return null;
                }

                reads.Add(reference);
            }
        }

        return reads;
    }

    /// <summary>A read of a pointer field that uses it as a pointer (not a comparison, not a store).</summary>
    internal static bool IsPointerRead(ExpressionSyntax access)
    {
        var node = access;
        while (node.Parent is ParenthesizedExpressionSyntax parenthesized)
        {
            node = parenthesized;
        }

        return node.Parent is not (BinaryExpressionSyntax { RawKind: (int)SyntaxKind.EqualsExpression or (int)SyntaxKind.NotEqualsExpression or (int)SyntaxKind.LessThanExpression or (int)SyntaxKind.GreaterThanExpression or (int)SyntaxKind.LessThanOrEqualExpression or (int)SyntaxKind.GreaterThanOrEqualExpression }
            or IsPatternExpressionSyntax or AssignmentExpressionSyntax or PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.AddressOfExpression } or ArgumentSyntax { RefKindKeyword.RawKind: not 0 });
    }

    internal sealed class PointerParts
    {
        public PointerParts(ExpressionSyntax memory, ExpressionSyntax offset, ITypeSymbol offsetType, ILocalSymbol? local, bool memoryOfAnotherObject = false, IReadOnlyList<ExpressionSyntax>? terms = null)
        {
            Memory = memory;
            Offset = offset;
            Terms = terms ?? new[] { offset };
            OffsetType = offsetType;
            Local = local;
            MemoryOfAnotherObject = memoryOfAnotherObject;
        }

        public ExpressionSyntax Memory { get; }

        /// <summary>
        /// The pointer came from a helper called on another object (<c>plugin.Pointer(address)</c>):
        /// <see cref="Memory"/> is written as that helper reads it, which names nothing where the pointer is stored.
        /// </summary>
        public bool MemoryOfAnotherObject { get; }

        /// <summary>The offset: an expression of the code, or the sum of its terms (<c>a + b</c>), which the semantic model does not know.</summary>
        public ExpressionSyntax Offset { get; }

        /// <summary>The terms the offset sums, as written in the code.</summary>
        public IReadOnlyList<ExpressionSyntax> Terms { get; }

        public ITypeSymbol OffsetType { get; }

        /// <summary>The local the pointer was held in, when the store reads it.</summary>
        public ILocalSymbol? Local { get; }
    }

    /// <summary>
    /// <c>(byte*)memory.GetPointer() + offset</c> (or <c>+ a + b</c>, each term added in bytes), or a
    /// local declared as that, taken apart. A sum over a wider pointer (<c>(int*)p + i</c>) adds
    /// <c>i</c> elements, not bytes, and is not taken apart.
    /// </summary>
    internal static PointerParts? Decompose(SemanticModel model, ExpressionSyntax pointer, CancellationToken cancellationToken)
    {
        ILocalSymbol? local = null;
        var termsMoved = false;
        var operation = model.GetOperation(pointer, cancellationToken)?.WalkDownConversions();
        if (operation is IInvocationOperation call)
        {
            return ThroughPointerHelper(model, call, cancellationToken);
        }

        if (operation is ILocalReferenceOperation { Local: { } held } && held.DeclaringSyntaxReferences.Length == 1
            && held.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer.Value: { } initializer })
        {
            local = held;
            termsMoved = true;
            operation = model.GetOperation(initializer, cancellationToken)?.WalkDownConversions();
        }

        if (operation is not IBinaryOperation { OperatorKind: BinaryOperatorKind.Add })
        {
            return null;
        }

        // Left-nested additions: the terms after the pointer, first term first; a term added to a
        // pointer of a wider type ((long*)p + 1) counts its elements, so its bytes are the term
        // times the element's size.
        var terms = new List<(ExpressionSyntax Syntax, ITypeSymbol? Type)>();
        var termOperations = new List<IOperation>();
        var baseOperation = operation;
        while (baseOperation is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } addition
               && (AddsBytes(addition.Type) || ElementSize(model, addition, cancellationToken) is not null))
        {
            var term = addition.RightOperand.WalkDownConversions();
            if (term.Syntax is not ExpressionSyntax termSyntax)
            {
                return null;
            }

            // A constant count stays a constant of its type; any other is widened first, as the
            // pointer's own arithmetic is, so that the product cannot overflow.
            termOperations.Add(term);
            var isConstant = term.ConstantValue.HasValue;
            terms.Insert(0, AddsBytes(addition.Type)
                ? (termSyntax, term.Type)
                : (ParseExpression($"{(isConstant ? Parenthesized(termSyntax) : "(long)" + Parenthesized(termSyntax))} * {ElementSize(model, addition, cancellationToken)}"),
                   isConstant ? term.Type : model.Compilation.GetSpecialType(SpecialType.System_Int64)));
            baseOperation = addition.LeftOperand.WalkDownConversions();
            if (baseOperation is ILocalReferenceOperation { Local: { } baseLocal } && baseLocal.DeclaringSyntaxReferences.Length == 1
                && baseLocal.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer.Value: { } baseInitializer }
                && local is null)
            {
                // basePointer + a where basePointer = memory.GetPointer(): the local goes with its last use.
                local = baseLocal;
                baseOperation = model.GetOperation(baseInitializer, cancellationToken)?.WalkDownConversions();
            }
        }

        if (baseOperation is not IInvocationOperation { TargetMethod.Name: "GetPointer", Instance: { } memory } getPointer
            || terms.Count == 0
            || (local is not null && !HeldUnchanged(model, local, termsMoved ? termOperations : [], pointer, cancellationToken))
            || WasmViewAnalyzers.Engine.Knowledge.WasmSymbols.TryCreate(model.Compilation) is not { } symbols
            || !symbols.IsWasmtimeType(getPointer.TargetMethod.ContainingType, symbols.Memory)
            || memory.Syntax is not ExpressionSyntax memorySyntax
            || terms.Any(t => t.Type is null)
            || OffsetTypeOf(model.Compilation, terms.Select(t => t.Type!)) is not { } offsetType)
        {
            return null;
        }

        var offset = terms.Count == 1
            ? terms[0].Syntax
            : ParseExpression(string.Join(" + ", terms.Select(t => t.Syntax.WithoutTrivia().ToString())));
        return new PointerParts(memorySyntax, offset, offsetType, local, terms: terms.Select(t => t.Syntax).ToList());
    }

    /// <summary>
    /// Whether the pointer a local was declared with is still its value at <paramref name="use"/>, so
    /// that it can be taken apart there: the local is never written after its declaration, and each
    /// of its terms moved to the use reads only constants and variables not assigned between the
    /// declaration and the use (<c>var p = memory.GetPointer() + address; address = 0; _frame = p;</c>
    /// keeps the first address, which <c>_frame = address</c> would not).
    /// </summary>
    private static bool HeldUnchanged(SemanticModel model, ILocalSymbol local, IReadOnlyList<IOperation> terms, ExpressionSyntax use, CancellationToken cancellationToken)
    {
        if (local.IsRef
            || local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Initializer.Value: { } declared } declarator
            || SyntaxHelpers.EnclosingFunction(declarator) is not { } body
            || ViewReacquirePlanner.References(model, local, body, cancellationToken).Any(ViewReacquirePlanner.IsWrite))
        {
            return false;
        }

        return terms.All(term => term.DescendantsAndSelf().All(part => part switch
        {
            { ConstantValue.HasValue: true } => true,
            ILocalReferenceOperation { Local.IsRef: false } or IParameterReferenceOperation { Parameter.RefKind: RefKind.None }
                => !ViewReacquirePlanner.IsAssignedBetween(model, part is ILocalReferenceOperation l ? l.Local : ((IParameterReferenceOperation)part).Parameter, declared, use, cancellationToken),
            IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation, Field: var field }
                => field.IsReadOnly || field.IsConst || !MayChangeFieldBetween(model, field, body, declarator, use, cancellationToken),
            IMemberReferenceOperation { Instance: ILocalReferenceOperation or IParameterReferenceOperation, Member: var member } => IsStoredValueOfReadOnlyStruct(member, cancellationToken),
            IInstanceReferenceOperation or IConversionOperation or IBinaryOperation or IUnaryOperation or IParenthesizedOperation or ISizeOfOperation => true,
            _ => false,
        }));
    }

    /// <summary>
    /// A field or auto-property of a readonly struct (<c>buffer.Offset</c> of a <c>readonly record
    /// struct GuestBuffer(int Offset, int Capacity)</c>): read from a local or parameter, it changes
    /// only where the variable is assigned. A computed property may read anything.
    /// </summary>
    private static bool IsStoredValueOfReadOnlyStruct(ISymbol member, CancellationToken cancellationToken)
        => member.ContainingType is { TypeKind: TypeKind.Struct, IsReadOnly: true } && !member.IsStatic && member switch
        {
            IFieldSymbol => true,
            IPropertySymbol { IsIndexer: false, DeclaringSyntaxReferences: { Length: 1 } declared } => declared[0].GetSyntax(cancellationToken) switch
            {
                ParameterSyntax => true,
                PropertyDeclarationSyntax { ExpressionBody: null, AccessorList.Accessors: var accessors } => accessors.All(a => a.Body is null && a.ExpressionBody is null),
                _ => false,
            },
            _ => false,
        };

    /// <summary>
    /// Whether code between <paramref name="declarator"/> and <paramref name="use"/> may change
    /// <paramref name="field"/>: it writes it, or runs code of its own (a call, a constructor, a
    /// property or indexer setter, an <c>await</c>) that might. A use in a loop the declaration is
    /// not in counts the whole loop as between.
    /// </summary>
    private static bool MayChangeFieldBetween(SemanticModel model, IFieldSymbol field, SyntaxNode body, SyntaxNode declarator, SyntaxNode use, CancellationToken cancellationToken)
    {
        var start = declarator.Span.End;
        var end = use.SpanStart;
        foreach (var loop in use.Ancestors().TakeWhile(a => a != body).Where(SyntaxHelpers.IsLoop))
        {
            if (!loop.Span.Contains(declarator.Span))
            {
                start = System.Math.Min(start, loop.SpanStart);
                end = System.Math.Max(end, loop.Span.End);
            }
        }

        return body.DescendantNodes(n => n.Span.End > start && n.SpanStart < end)
            .Where(n => n.SpanStart >= start && n.Span.End <= end)
            .Any(node => node switch
            {
                InvocationExpressionSyntax or BaseObjectCreationExpressionSyntax or AwaitExpressionSyntax => true,
                AssignmentExpressionSyntax assignment => model.GetSymbolInfo(assignment.Left, cancellationToken).Symbol switch
                {
                    IPropertySymbol => true,
                    IFieldSymbol written => SymbolEqualityComparer.Default.Equals(written, field),
                    _ => assignment.Left is ElementAccessExpressionSyntax,
                },
                IdentifierNameSyntax name => ViewReacquirePlanner.IsWrite(name) && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(name, cancellationToken).Symbol, field),
                _ => false,
            });
    }

    /// <summary>
    /// <c>sizeof(long)</c> for a sum over a <c>long*</c>: what one element adds to the address, for a
    /// pointer to an unmanaged type (not <c>void*</c>, not a byte); null for any other sum.
    /// </summary>
    private static string? ElementSize(SemanticModel model, IBinaryOperation addition, CancellationToken cancellationToken)
        => addition.Type is IPointerTypeSymbol { PointedAtType: { IsUnmanagedType: true, SpecialType: not (SpecialType.System_Void or SpecialType.System_Byte or SpecialType.System_SByte) } element }
           && addition.LeftOperand.Type is IPointerTypeSymbol
           && !cancellationToken.IsCancellationRequested
            ? $"sizeof({element.ToMinimalDisplayString(model, addition.Syntax.SpanStart)})"
            : null;

    private static string Parenthesized(ExpressionSyntax term)
        => term is IdentifierNameSyntax or LiteralExpressionSyntax or MemberAccessExpressionSyntax or InvocationExpressionSyntax or ParenthesizedExpressionSyntax
            ? term.WithoutTrivia().ToString()
            : $"({term.WithoutTrivia()})";

    /// <summary>
    /// <c>plugin.Pointer(address)</c> of a helper whose whole body is <c>Memory.GetPointer() + address</c>
    /// over its own parameters: the offset is the sum with the call's arguments in their place, and
    /// the memory the helper's field or auto-property. Only a helper of this file that cannot be
    /// overridden, whose memory is a field or auto-property of its own type and whose offset reads
    /// only its parameters and constants, called on this object or on a variable (nothing the store
    /// no longer evaluates has effects).
    /// </summary>
    private static PointerParts? ThroughPointerHelper(SemanticModel model, IInvocationOperation call, CancellationToken cancellationToken)
    {
        var method = call.TargetMethod;
        if (method.MethodKind != MethodKind.Ordinary || method.IsVirtual || method.IsOverride || method.IsAbstract || method.IsExtern
            || method.DeclaringSyntaxReferences.Length != 1
            || method.DeclaringSyntaxReferences[0].SyntaxTree != model.SyntaxTree
            || call.Syntax is not InvocationExpressionSyntax invocation
            || invocation.ArgumentList.Arguments.Count != method.Parameters.Length
            || invocation.ArgumentList.Arguments.Any(a => a.NameColon is not null || !a.RefKindKeyword.IsKind(SyntaxKind.None))
            || call.Instance is not (null or IInstanceReferenceOperation or ILocalReferenceOperation or IParameterReferenceOperation or IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation })
            || ReturnedExpression(method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken)) is not { } returned
            || Decompose(model, returned, cancellationToken) is not { Local: null, MemoryOfAnotherObject: false } parts
            || parts.Terms.Any(term => term.SyntaxTree != model.SyntaxTree)
            || model.GetOperation(parts.Memory, cancellationToken) is not (IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } or IPropertyReferenceOperation { Instance: null or IInstanceReferenceOperation, Property: { Parameters.IsEmpty: true } })
            || (model.GetSymbolInfo(parts.Memory, cancellationToken).Symbol is IPropertySymbol property && property.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is not PropertyDeclarationSyntax { ExpressionBody: null, AccessorList.Accessors: var accessors } || accessors.Any(a => a.Body is not null || a.ExpressionBody is not null)))
        {
            return null;
        }

        // Each parameter the offset reads once becomes the call's argument, which reads only
        // variables and constants (nothing the call evaluated is lost or repeated); anything else the
        // offset reads must be a constant.
        if (invocation.ArgumentList.Arguments.Any(a => !IsPlainValue(a.Expression)))
        {
            return null;
        }

        var arguments = new Dictionary<SyntaxNode, SyntaxNode>();
        foreach (var name in parts.Terms.SelectMany(term => term.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>()))
        {
            if (model.GetSymbolInfo(name, cancellationToken).Symbol is IParameterSymbol parameter && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, method))
            {
                var argument = invocation.ArgumentList.Arguments[parameter.Ordinal].Expression.WithoutTrivia();
                arguments[name] = argument is IdentifierNameSyntax or LiteralExpressionSyntax or MemberAccessExpressionSyntax
                    ? argument
                    : ParenthesizedExpression(argument).WithAdditionalAnnotations(Simplifier.Annotation);
            }
            else if (!model.GetConstantValue(name, cancellationToken).HasValue)
            {
                return null;
            }
        }

        var terms = parts.Terms.Select(term => arguments.TryGetValue(term, out var whole) ? (ExpressionSyntax)whole : term.ReplaceNodes(arguments.Keys.Where(term.Contains), (original, _) => arguments[original])).ToList();
        var substituted = terms.Count == 1 ? terms[0] : ParseExpression(string.Join(" + ", terms.Select(t => t.WithoutTrivia().ToFullString())));
        var onThisObject = call.Instance is null or IInstanceReferenceOperation
                           && SymbolEqualityComparer.Default.Equals(model.GetEnclosingSymbol(invocation.SpanStart, cancellationToken)?.ContainingType, method.ContainingType);
        return new PointerParts(parts.Memory, substituted, parts.OffsetType, null, memoryOfAnotherObject: !onThisObject);
    }

    /// <summary>An argument whose evaluation has no effect: variables, members of them, constants and arithmetic over them.</summary>
    private static bool IsPlainValue(ExpressionSyntax argument)
        => argument.DescendantNodesAndSelf().All(n => n is IdentifierNameSyntax or MemberAccessExpressionSyntax or LiteralExpressionSyntax or ParenthesizedExpressionSyntax or CastExpressionSyntax or PredefinedTypeSyntax
            or BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression or (int)SyntaxKind.SubtractExpression or (int)SyntaxKind.MultiplyExpression });

    /// <summary>The expression a method returns when that is all its body does: <c>=> expr</c> or <c>{ return expr; }</c>.</summary>
    private static ExpressionSyntax? ReturnedExpression(SyntaxNode declaration) => declaration switch
    {
        MethodDeclarationSyntax { ExpressionBody.Expression: { } expression } => expression,
        MethodDeclarationSyntax { Body.Statements: { Count: 1 } statements } when statements[0] is ReturnStatementSyntax { Expression: { } returned } => returned,
        _ => null,
    };

    /// <summary>A sum that adds its right operand in bytes: an address, a byte pointer, or a number an address was widened to.</summary>
    private static bool AddsBytes(ITypeSymbol? type)
        => type is IPointerTypeSymbol { PointedAtType.SpecialType: SpecialType.System_Byte or SpecialType.System_SByte }
           || type?.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr or SpecialType.System_Int64;

    /// <summary>The type of the terms' sum: theirs when they agree, <c>long</c> when 32- and 64-bit integers mix.</summary>
    private static ITypeSymbol? OffsetTypeOf(Compilation compilation, IEnumerable<ITypeSymbol> types)
    {
        var distinct = types.Distinct<ITypeSymbol>(SymbolEqualityComparer.Default).ToList();
        if (distinct.Count == 1)
        {
            return distinct[0];
        }

        return distinct.All(t => t.SpecialType is SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64)
            ? compilation.GetSpecialType(SpecialType.System_Int64)
            : null;
    }

    /// <summary>The declaration of <paramref name="local"/>, when <paramref name="use"/> (or an element of the same collection expression) is all that reads it.</summary>
    internal static StatementSyntax? LocalOnlyUsedAt(SemanticModel model, ILocalSymbol local, ExpressionSyntax use, CancellationToken cancellationToken)
    {
        if (local.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax statement } }
            || SyntaxHelpers.EnclosingFunction(statement) is not { } body)
        {
            return null;
        }

        var scope = use.FirstAncestorOrSelf<StatementSyntax>() ?? (SyntaxNode)use;
        var references = body.DescendantNodes().OfType<IdentifierNameSyntax>()
            .Where(n => n.Identifier.ValueText == local.Name && SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(n, cancellationToken).Symbol, local));
        return references.All(r => scope.Span.Contains(r.Span)) ? statement : null;
    }

    /// <summary>The pointer and address types in a field's declaration (its type, its array creation) that become the offset's type.</summary>
    internal static IEnumerable<TypeSyntax> PointerTypesIn(SemanticModel model, VariableDeclarationSyntax declaration, CancellationToken cancellationToken)
        => PointerTypesWithin(model, declaration.Parent!, cancellationToken);

    /// <summary>The pointer and address types written within <paramref name="node"/>.</summary>
    private static IEnumerable<TypeSyntax> PointerTypesWithin(SemanticModel model, SyntaxNode node, CancellationToken cancellationToken)
    {
        foreach (var type in node.DescendantNodesAndSelf().OfType<TypeSyntax>())
        {
            if (type is PointerTypeSyntax or PredefinedTypeSyntax or IdentifierNameSyntax or QualifiedNameSyntax
                && model.GetTypeInfo(type, cancellationToken).Type is { } found
                && (found.TypeKind == TypeKind.Pointer || found.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr)
                && type.Parent is not (QualifiedNameSyntax or AliasQualifiedNameSyntax))
            {
                yield return type;
            }
        }
    }

    internal static bool IsPointerOrAddress(ITypeSymbol? type)
        => type is not null && (type.TypeKind == TypeKind.Pointer || type.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr or SpecialType.System_Int64);
}
